"""Host-judged cases: a probe's power-off/reset is compared with what the host (QMP or console) observed."""
from __future__ import annotations

from avps_cts import host_checks
from avps_cts.results import CaseResult, Status

LINES = ["KTAP version 1", "1..1", "    KTAP version 1", "    1..1",
         "    # probe psci-reset: image at 0x40080000", "    # host-check: psci.system_reset expect=guest-reset"]


def case() -> CaseResult:
    return CaseResult("psci.system_reset", Status.NOT_RUN, ["AVPS.POWER.1"], program="psci-reset")


def test_matching_observation_passes_and_clears_the_cut_document_problem() -> None:
    cases, problems = [case()], ["the KTAP document stopped after 0 of 1 planned results"]
    host_checks.apply(cases, LINES, "guest-reset", problems, "psci-reset")
    assert cases[0].status is Status.PASS and problems == []


def test_wrong_observation_fails() -> None:
    cases, problems = [case()], []
    host_checks.apply(cases, LINES, "guest-shutdown", problems, "psci-reset")
    assert cases[0].status is Status.FAIL
    assert "expected the host to observe guest-reset" in cases[0].detail


def test_console_log_shows_a_reset_when_the_probe_starts_again() -> None:
    cases, problems = [case()], []
    host_checks.apply(cases, LINES + ["KTAP version 1", "    # probe psci-reset: image at 0x40080000"],
                      None, problems, "psci-reset")
    assert cases[0].status is Status.PASS


def test_no_observation_is_not_run_never_pass() -> None:
    cases, problems = [case()], ["the KTAP document stopped after 0 of 1 planned results"]
    host_checks.apply(cases, LINES, None, problems, "psci-reset")
    assert cases[0].status is Status.NOT_RUN
    assert problems == ["psci.system_reset: the platform gave no evidence whether guest-reset happened"]


# ---- the host never erases a failure the guest already reported (issue 15 item 6) ----------
def test_guest_failure_result_stands_although_the_host_saw_the_event() -> None:
    failed = CaseResult("psci.system_reset", Status.FAIL, ["AVPS.POWER.1"], program="psci-reset",
                        detail="PSCI_FEATURES(SYSTEM_RESET): expected >= 0, got -1")
    cases, problems = [failed], []
    host_checks.apply(cases, LINES, "guest-reset", problems, "psci-reset")
    assert cases[0].status is Status.FAIL
    assert cases[0].detail.startswith("PSCI_FEATURES(SYSTEM_RESET): expected >= 0, got -1")
    assert "the host observed guest-reset" in cases[0].detail


def test_guest_failure_named_on_the_host_check_line_stands() -> None:
    lines = LINES[:-1] + ["    # host-check: psci.system_reset expect=guest-reset guest=fail: PSCI_FEATURES said no"]
    cases, problems = [case()], ["the KTAP document stopped after 0 of 1 planned results"]
    host_checks.apply(cases, lines, "guest-reset", problems, "psci-reset")
    assert cases[0].status is Status.FAIL and "PSCI_FEATURES said no" in cases[0].detail
    assert problems == [], "the reset itself explains the cut document"


def test_guest_error_with_no_host_evidence_stays_an_error_not_a_missing_observation() -> None:
    broken = CaseResult("psci.system_reset", Status.ERROR, ["AVPS.POWER.1"], program="psci-reset",
                        detail="no wake-up source")
    cases, problems = [broken], []
    host_checks.apply(cases, LINES, None, problems, "psci-reset")
    assert cases[0].status is Status.ERROR and "no wake-up source" in cases[0].detail
    assert "the host observed nothing" in cases[0].detail


def test_both_must_hold_a_guest_pass_line_does_not_replace_the_host_observation() -> None:
    passed = CaseResult("psci.system_reset", Status.PASS, ["AVPS.POWER.1"], program="psci-reset")
    cases, problems = [passed], []
    host_checks.apply(cases, LINES, "guest-shutdown", problems, "psci-reset")
    assert cases[0].status is Status.FAIL
