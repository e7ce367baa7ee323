"""Mapping parsed KTAP onto the build manifest: statuses, not-run cases, crashes and unknown cases."""
from __future__ import annotations

from avps_cts import ktap
from avps_cts.collect import collect_flat, collect_nested
from avps_cts.manifest import Manifest, ManifestCase, ManifestError, contract_problems, parse_records
from avps_cts.results import Status

import pytest


def manifest() -> Manifest:
    cases = [
        ManifestCase("virtio.blk.a", "global.a", ("AVPS.STORAGE.1",), "virtio.blk"),
        ManifestCase("virtio.blk.b", "global.b", ("AVPS.STORAGE.1", "VIRTIO-1.2: X #1"), "virtio.blk"),
        ManifestCase("virtio.rng.c", "global.c", ("AVPS.RNG.1",), "virtio.rng"),
        ManifestCase("psci.version", "psci.version", ("AVPS.POWER.1",), "psci", image="psci"),
        ManifestCase("psci.cpu_on", "psci.cpu_on", ("AVPS.POWER.1",), "psci", image="psci"),
    ]
    return Manifest(cases=cases)


def by_id(cases):
    return {c.case_id: c for c in cases}


def test_all_reported() -> None:
    doc = ktap.parse("""KTAP version 1
1..2
    TAP version 13
    1..2
    ok 1 global.a
    # blk.c:3:b:Expected 0 (0) == r (5)
    not ok 2 global.b
not ok 1 virtio.blk
    TAP version 13
    1..1
    ok 1 global.c # SKIP no device
ok 2 virtio.rng
""".splitlines())
    cases, problems = collect_nested(doc, manifest(), ["virtio.blk", "virtio.rng"])
    got = by_id(cases)
    assert got["virtio.blk.a"].status is Status.PASS
    assert got["virtio.blk.b"].status is Status.FAIL
    assert got["virtio.blk.b"].detail == "blk.c:3:b:Expected 0 (0) == r (5)"
    assert got["virtio.blk.b"].requirements == ["AVPS.STORAGE.1", "VIRTIO-1.2: X #1"]
    assert got["virtio.rng.c"].status is Status.SKIP and got["virtio.rng.c"].detail == "no device"
    assert problems == []


def test_program_timeout_marks_unreported_cases_not_run() -> None:
    doc = ktap.parse("""KTAP version 1
1..2
    TAP version 13
    1..2
    ok 1 global.a
not ok 1 virtio.blk # TIMEOUT no exit after 120 s, killed
    TAP version 13
    1..1
    ok 1 global.c
ok 2 virtio.rng
""".splitlines())
    cases, _ = collect_nested(doc, manifest(), ["virtio.blk", "virtio.rng"])
    got = by_id(cases)
    assert got["virtio.blk.a"].status is Status.PASS
    assert got["virtio.blk.b"].status is Status.NOT_RUN
    assert "timed out" in got["virtio.blk.b"].detail
    assert got["virtio.rng.c"].status is Status.PASS


def test_log_cut_inside_a_program_keeps_seen_cases() -> None:
    doc = ktap.parse(["KTAP version 1", "1..2", "    TAP version 13", "    1..2", "    ok 1 global.a"])
    cases, problems = collect_nested(doc, manifest(), ["virtio.blk", "virtio.rng"])
    got = by_id(cases)
    assert got["virtio.blk.a"].status is Status.PASS
    assert got["virtio.blk.b"].status is Status.NOT_RUN
    assert got["virtio.rng.c"].status is Status.NOT_RUN
    assert any("stopped after 0 of 2" in p for p in problems)


def test_case_not_in_manifest_is_reported_as_a_problem() -> None:
    doc = ktap.parse(["KTAP version 1", "1..1", "    1..1", "    ok 1 global.zzz", "ok 1 virtio.rng"])
    cases, problems = collect_nested(doc, manifest(), ["virtio.rng"])
    assert by_id(cases)["virtio.rng.c"].status is Status.NOT_RUN
    assert "virtio.rng.zzz" in by_id(cases)
    assert any("not in the build manifest" in p for p in problems)


def test_flat_probe_document() -> None:
    doc = ktap.parse(["KTAP version 1", "1..2", "ok 1 psci.version"])
    cases, problems = collect_flat(doc, manifest(), "psci")
    got = by_id(cases)
    assert got["psci.version"].status is Status.PASS
    assert got["psci.cpu_on"].status is Status.NOT_RUN
    assert problems


def test_durations_from_arrival_times() -> None:
    lines = ["KTAP version 1", "1..1", "# RUN x", "ok 1 psci.version"]
    doc = ktap.parse(lines)
    cases, _ = collect_flat(doc, manifest(), "psci", times=[0.0, 0.1, 0.5, 2.0])
    assert by_id(cases)["psci.version"].duration_s == 1.5


def test_manifest_records_parse_and_reject_malformed() -> None:
    blob = b"avps-case\x1fvirtio.blk.a\x1fglobal.a\x1fAVPS.STORAGE.1\x1fVIRTIO-1.2: X #1\x00\x00"
    (case,) = parse_records(blob, "virtio.blk", "test")
    assert case.requirements == ("AVPS.STORAGE.1", "VIRTIO-1.2: X #1")
    with pytest.raises(ManifestError):
        parse_records(b"avps-case\x1fonly-id\x00", "p", "test")



def test_manifest_record_carries_the_case_contract_and_its_declaration_site() -> None:
    blob = (b"avps-case\x1fvirtio.rng.a\x1fglobal.a\x1fat=guest-tests/virtio/rng.c:42"
            b"\x1fchecks=two reads differ\x1fAVPS.RNG.1\x00")
    (case,) = parse_records(blob, "virtio.rng", "test")
    assert (case.declared_at, case.checks, case.requirements) == (
        "guest-tests/virtio/rng.c:42", "two reads differ", ("AVPS.RNG.1",))
    assert contract_problems(Manifest(cases=[case])) == []


def test_a_case_without_its_checks_line_is_reported_at_its_declaration() -> None:
    blob = b"avps-case\x1fvirtio.rng.a\x1fglobal.a\x1fat=guest-tests/virtio/rng.c:42\x1fAVPS.RNG.1\x00"
    (problem,) = contract_problems(Manifest(cases=parse_records(blob, "virtio.rng", "test")))
    assert problem.startswith("guest-tests/virtio/rng.c:42: case virtio.rng.a has no AVPS_CHECKS")
    with pytest.raises(ManifestError, match="two checks lines"):
        parse_records(b"avps-case\x1fa\x1fa\x1fchecks=x\x1fchecks=y\x1fR\x00", "p", "test")

def test_kselftest_skip_without_name_takes_the_name_from_its_run_line() -> None:
    doc = ktap.parse(["KTAP version 1", "1..1", "    TAP version 13", "    1..1",
                      "    #  RUN           global.c ...", "    #      SKIP      no device",
                      "    #            OK  global.c", "    ok 1 # SKIP no device", "ok 1 virtio.rng # SKIP"])
    cases, problems = collect_nested(doc, manifest(), ["virtio.rng"])
    assert by_id(cases)["virtio.rng.c"].status is Status.SKIP
    assert by_id(cases)["virtio.rng.c"].detail == "no device"
    assert problems == []
