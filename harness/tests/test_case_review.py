"""The reviewed case table (requirements/case-review) against the built manifest, the catalogue and the controls; and the build's refusal of a bad declaration."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from avps_cts import case_review, profiles
from avps_cts.case_review import ReviewEntry, ReviewError
from avps_cts.catalogue.loader import load_catalogue
from avps_cts.manifest import Manifest, ManifestCase, contract_problems, load as load_manifest, parse_records

FS = "\x1f"


def profile_expectations() -> tuple[dict[tuple[str, str], set[str]], set[tuple[str, str]]]:
    """(target, profile) -> the cases its expect.fail names, and the controls that only misdeclare a host fact."""
    fails: dict[tuple[str, str], set[str]] = {}
    lying: set[tuple[str, str]] = set()
    for target in profiles.available_targets():
        for name in profiles.profile_names(target):
            config = profiles.load(target, name)
            if config.expect_fail:
                fails[(target, name)] = set(config.expect_fail)
            if config.expect_lie:
                lying.add((target, name))
    return fails, lying


def the_table_problems(manifest: Manifest, reviews: dict[str, ReviewEntry]) -> list[str]:
    catalogue = load_catalogue()
    sides = {rid: s.side for rid, s in catalogue.virtio.items()}
    fails, lying = profile_expectations()
    return case_review.table_problems(manifest, reviews, sides, catalogue.ids(), fails, lying)


# ---- the real table -----------------------------------------------------------------
def test_every_built_case_is_reviewed_and_agrees_with_its_declaration(build: Path) -> None:
    problems = the_table_problems(load_manifest(build), case_review.load())
    assert problems == [], "\n".join(problems)


def test_every_built_case_carries_its_contract(build: Path) -> None:
    assert contract_problems(load_manifest(build)) == []


def test_every_control_a_review_names_lists_a_reason_for_the_case() -> None:
    fails, _ = profile_expectations()
    for entry in case_review.load().values():
        if entry.control_profile:
            target, name = entry.control_profile
            assert entry.case_id in profiles.load(target, name).expect_fail, (entry.source, entry.case_id)


def test_missing_controls_are_grouped_by_fault_switch() -> None:
    groups = case_review.missing_controls(case_review.load())
    listed = [c for cases in groups.values() for c in cases]
    assert len(listed) == len(set(listed)) and all(s and cases for s, cases in groups.items())


# ---- bad input: the checks themselves --------------------------------------------------
def case(case_id: str, reqs: tuple[str, ...], program: str = "virtio.demo") -> ManifestCase:
    return ManifestCase(case_id=case_id, ktap_name=case_id, requirements=reqs, program=program,
                        checks="what it observes", declared_at=f"guest-tests/demo.c:{len(case_id)}")


def review(text: str) -> dict[str, ReviewEntry]:
    return {e.case_id: e for e in case_review.parse_file(text, "demo.yaml")}


GOOD = """program: virtio.demo
cases:
  - case: virtio.demo.a
    class: behavioural
    cites: {"AVPS.RNG.1": "reads entropy"}
    control: "qemu-arm64/no-rng"
  - case: virtio.demo.b
    class: presence
    reason: "entry check"
    cites: {"AVPS.RNG.1": "device is there"}
    not_exercised: {"AVPS.VIRTIO.1": "never touches the transport"}
"""


def table(manifest: Manifest, reviews: dict[str, ReviewEntry], fails=None, lying=frozenset()) -> list[str]:
    fails = {("qemu-arm64", "no-rng"): {"virtio.demo.a"}} if fails is None else fails
    return case_review.table_problems(manifest, reviews, {"VIRTIO-1.2: X #1": "driver"},
                                      ["AVPS.RNG.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: X #1"], fails, set(lying))


def test_a_consistent_table_has_no_problem() -> None:
    manifest = Manifest([case("virtio.demo.a", ("AVPS.RNG.1",)), case("virtio.demo.b", ("AVPS.RNG.1",))])
    assert table(manifest, review(GOOD)) == []


def test_an_unreviewed_case_is_named_with_its_declaration_line() -> None:
    manifest = Manifest([case("virtio.demo.a", ("AVPS.RNG.1",)), case("virtio.demo.b", ("AVPS.RNG.1",)),
                         case("virtio.demo.new", ("AVPS.RNG.1",))])
    (problem,) = table(manifest, review(GOOD))
    assert problem.startswith("guest-tests/demo.c:15: case virtio.demo.new has no entry")


def test_cites_that_differ_from_the_declaration_are_named() -> None:
    manifest = Manifest([case("virtio.demo.a", ("AVPS.RNG.1", "AVPS.VIRTIO.1")), case("virtio.demo.b", ("AVPS.RNG.1",))])
    problems = table(manifest, review(GOOD))
    assert any("virtio.demo.a cites ['AVPS.RNG.1', 'AVPS.VIRTIO.1']" in p for p in problems), problems


def test_a_statement_reviewed_as_not_exercised_fails_the_build() -> None:
    manifest = Manifest([case("virtio.demo.b", ("AVPS.RNG.1", "AVPS.VIRTIO.1"))])
    (problem,) = case_review.build_problems(manifest, review(GOOD))
    assert problem.startswith("guest-tests/demo.c:13: case virtio.demo.b cites 'AVPS.VIRTIO.1', which it was "
                              "reviewed not to exercise")


def test_a_driver_side_statement_is_refused() -> None:
    text = GOOD.replace('cites: {"AVPS.RNG.1": "reads entropy"}', 'cites: {"VIRTIO-1.2: X #1": "driver rule"}')
    manifest = Manifest([case("virtio.demo.a", ("VIRTIO-1.2: X #1",)), case("virtio.demo.b", ("AVPS.RNG.1",))])
    assert any("a driver-side statement" in p for p in table(manifest, review(text)))


def test_a_behavioural_case_needs_a_control_or_a_fault_switch() -> None:
    manifest = Manifest([case("virtio.demo.a", ("AVPS.RNG.1",)), case("virtio.demo.b", ("AVPS.RNG.1",))])
    no_control = review(GOOD.replace('    control: "qemu-arm64/no-rng"\n', ""))
    assert any("neither a control nor 'waiting:" in p for p in table(manifest, no_control))
    waiting = review(GOOD.replace('"qemu-arm64/no-rng"', '"waiting: device-model rng: constant bytes"'))
    assert table(manifest, waiting) == []
    assert case_review.missing_controls(waiting) == {"device-model rng: constant bytes": ["virtio.demo.a"]}


def test_a_control_that_does_not_list_the_case_is_named() -> None:
    manifest = Manifest([case("virtio.demo.a", ("AVPS.RNG.1",)), case("virtio.demo.b", ("AVPS.RNG.1",))])
    assert any("does not list it in expect.fail" in p
               for p in table(manifest, review(GOOD), fails={("qemu-arm64", "no-rng"): {"x"}}))


def test_a_lying_control_may_only_control_a_case_that_compares_with_the_declaration() -> None:
    manifest = Manifest([case("virtio.demo.a", ("AVPS.RNG.1",)), case("virtio.demo.b", ("AVPS.RNG.1",))])
    problems = table(manifest, review(GOOD), lying={("qemu-arm64", "no-rng")})
    assert any("only misdeclares a host fact" in p and "virtio.demo.a" in p for p in problems)
    declared = review(GOOD.replace('control: "qemu-arm64/no-rng"', 'control: "qemu-arm64/no-rng"\n'
                                   '    compares_declared: true'))
    assert table(manifest, declared, lying={("qemu-arm64", "no-rng")}) == []


def test_a_review_of_a_case_that_no_longer_exists_is_named() -> None:
    manifest = Manifest([case("virtio.demo.a", ("AVPS.RNG.1",))])
    assert table(manifest, review(GOOD)) == ["demo.yaml: reviews virtio.demo.b, which is not a built case"]


@pytest.mark.parametrize("text,message", [
    ("program: x\ncases: [{case: a, class: cannot-fail}]", "class must be one of behavioural, presence"),
    ("program: x\ncases: [{case: a, class: presence, colour: red}]", "unknown keys colour"),
    ("program: x\ncases: [{class: presence}]", "needs 'case: <case id>'"),
    ("cases: []", "expected 'program: <name>'"),
    ("program: x\ncases: [{case: a, class: presence, cites: [A]}]", "cites must map each ID"),
    ("program: [", "not valid YAML"),
])
def test_a_malformed_review_file_is_refused_with_its_name(text: str, message: str) -> None:
    with pytest.raises(ReviewError, match="demo.yaml") as info:
        case_review.parse_file(text, "demo.yaml")
    assert message in str(info.value)


# ---- bad input: the build refuses a bad declaration ---------------------------------------
def test_a_record_without_the_contract_is_named_with_its_file_and_line() -> None:
    blob = FS.join(["avps-case", "virtio.demo.x", "global.x", "at=guest-tests/virtio/demo.c:42", "AVPS.RNG.1"])
    manifest = Manifest(parse_records(blob.encode() + b"\0", "virtio.demo", "demo"))
    assert contract_problems(manifest) == [
        'guest-tests/virtio/demo.c:42: case virtio.demo.x has no AVPS_CHECKS("...") line (what it checks)']


@pytest.mark.skipif(shutil.which("gcc") is None, reason="host gcc is installed by 'make' (bootstrap)")
def test_manifest_check_fails_the_build_on_a_bad_declaration(repo: Path, tmp_path: Path) -> None:
    """A real object built from C declarations: no contract, an unknown ID, a statement reviewed as not exercised."""
    source = tmp_path / "bad.c"
    source.write_text('#include "avps_case.h"\n'
                      'AVPS_CASE_RECORD(a, "virtio.demo.no_contract", "global.no_contract", "AVPS.RNG.1")\n'
                      'AVPS_CASE_RECORD(b, "virtio.demo.unknown", "global.unknown", AVPS_CHECKS("x"), "AVPS.NOPE.9")\n'
                      'AVPS_CASE_RECORD(c, "virtio.mmio.status_handshake", "virtio.mmio.status_handshake", AVPS_CHECKS("x"),\n'
                      '                 "AVPS.VIRTIO.1", "VIRTIO-1.2: Basic Facilities of a Virtio Device / Feature Bits #3")\n'
                      'int main(void) { return 0; }\n')
    ksft = tmp_path / "build" / "guest" / "kselftest"
    (ksft / "virtio").mkdir(parents=True)
    subprocess.run(["gcc", "-I", str(repo / "guest-tests" / "lib"), str(source), "-o", str(ksft / "virtio" / "demo")],
                   check=True, cwd=tmp_path)
    (ksft / "kselftest-list.txt").write_text("virtio:demo\n")
    proc = subprocess.run([sys.executable, "-m", "avps_cts", "manifest", "--build", str(tmp_path / "build"),
                           "--check", "--quiet"], capture_output=True, text=True, cwd=repo,
                          env={"PYTHONPATH": str(repo / "harness"), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    errors = proc.stderr.splitlines()
    assert any(e.startswith(f"{source}:2: case virtio.demo.no_contract has no AVPS_CHECKS") for e in errors), errors
    assert any(e.startswith(f"{source}:3: unknown requirement ID 'AVPS.NOPE.9'") for e in errors), errors
    assert any(e.startswith(f"{source}:4: case virtio.mmio.status_handshake cites 'VIRTIO-1.2: Basic Facilities of a "
                            "Virtio Device / Feature Bits #3', which it was reviewed not to exercise") for e in errors), errors
