"""KTAP parser: well-formed documents, both header forms, nesting, directives, and malformed input."""
from __future__ import annotations

from avps_cts import ktap

NESTED = """\
[    0.000000] Booting Linux on physical CPU 0x0
KTAP version 1
1..2
# avps-runner: start virtio.blk
    TAP version 13
    1..2
    #  RUN           global.a ...
    ok 1 global.a
    # blk.c:10:b:Expected 1 (1) == 2 (2)
    not ok 2 global.b
# virtio.blk: exit code 1
not ok 1 virtio.blk
    TAP version 13
    1..1
    ok 1 global.c # SKIP no gpu here
ok 2 virtio.gpu # SKIP all cases skipped
"""


def test_nested_document_adopts_subtests() -> None:
    doc = ktap.parse(NESTED.splitlines())
    assert doc.complete and not doc.problems
    blk, gpu = doc.tests
    assert (blk.name, blk.ok) == ("virtio.blk", False)
    assert [(t.name, t.ok) for t in blk.subtests] == [("global.a", True), ("global.b", False)]
    assert blk.subtests[1].diagnostics == ["blk.c:10:b:Expected 1 (1) == 2 (2)"]
    assert gpu.subtests[0].directive_word == "SKIP"
    assert gpu.subtests[0].directive_reason == "no gpu here"


def test_flat_ktap_v1_with_timeout_and_error_directives() -> None:
    doc = ktap.parse(["KTAP version 1", "1..3", "ok 1 a", "not ok 2 b # TIMEOUT after 30 s",
                      "not ok 3 c # ERROR killed by signal 11"])
    assert [t.directive_word for t in doc.tests] == ["", "TIMEOUT", "ERROR"]
    assert doc.tests[1].directive_reason == "after 30 s"


def test_noise_before_and_between_lines_is_ignored() -> None:
    lines = ["U-Boot 2023.01", "KTAP version 1", "[  1.2] virtio_blk virtio0: [vda] 131072 512-byte",
             "1..1", "random kernel line", "ok 1 only"]
    doc = ktap.parse(lines)
    assert doc.complete and [t.name for t in doc.tests] == ["only"]


def test_crlf_ansi_and_timestamps_are_cleaned() -> None:
    doc = ktap.parse(["\x1b[0mKTAP version 1\r", "[   2.5] 1..1\r", "ok 1 x\r"])
    assert doc.complete and doc.tests[0].name == "x"


def test_no_header_is_a_problem() -> None:
    doc = ktap.parse(["ok 1 a", "Kernel panic - not syncing"])
    assert not doc.tests
    assert any("no KTAP header" in p for p in doc.problems)


def test_missing_plan_is_a_problem() -> None:
    doc = ktap.parse(["KTAP version 1", "ok 1 a"])
    assert any("no plan" in p for p in doc.problems)


def test_cut_log_keeps_results_of_unfinished_subtest() -> None:
    lines = NESTED.splitlines()[:9]  # stops inside virtio.blk, after global.a
    doc = ktap.parse(lines)
    assert not doc.complete
    assert any("stopped after 0 of 2" in p for p in doc.problems)
    assert [t.name for t in doc.unfinished[-1]] == ["global.a"]


def test_garbage_lines_are_counted_and_skipped() -> None:
    lines = ["KTAP version 1", "1..2", "ok 1 a", "\x00\x01\x02\x03\x04garbage\x05\x06\x07", "\ufffd\ufffd\ufffd",
             "ok 2 b"]
    doc = ktap.parse(lines)
    assert [t.name for t in doc.tests] == ["a", "b"]
    assert doc.garbage_lines == 2
    assert any("garbage" in p for p in doc.problems)


def test_result_line_corrupted_by_garbage_is_not_taken() -> None:
    doc = ktap.parse(["KTAP version 1", "1..2", "ok 1 a", "ok 2 \x00\x13\x14\x15\x16\x17\x18b"])
    assert [t.name for t in doc.tests] == ["a"]
    assert not doc.complete


def test_second_document_is_not_merged() -> None:
    doc = ktap.parse(["KTAP version 1", "1..1", "ok 1 a", "KTAP version 1", "1..1", "ok 1 z"])
    assert [t.name for t in doc.tests][:1] == ["a"]


def test_plan_with_zero_tests_is_complete() -> None:
    doc = ktap.parse(["TAP version 13", "1..0"])
    assert doc.complete and doc.tests == []
