"""Host-judged watchdog reset: the window the guest announces, how refhv's log says each boot ended, and the verdict."""
from __future__ import annotations

from pathlib import Path

from avps_cts import profiles
from avps_cts.host import watchdog_reset
from avps_cts.results import CaseResult, Status
from avps_cts.targets.base import BootOutput
from avps_cts.targets.refhv.console_split import split
from avps_cts.targets.refhv.driver import RefhvTarget

CASE = "watchdog.sbsa.reset_without_refresh"
WINDOW = [f"    # host-watchdog-check: {CASE} not-before=1000 hz=1000",
          f"    # host-watchdog-check: {CASE} not-after=1600"]


def _case(status: Status = Status.NOT_RUN, detail: str = "") -> CaseResult:
    return CaseResult(CASE, status, ["AVPS.WATCHDOG.1"], detail=detail, program="watchdog")


def _record(end: dict[str, object], boot: int = 1, window: bool = True) -> dict[str, object]:
    fields: dict[str, object] = {"not-before": 1000, "hz": 1000, "not-after": 1600} if window else {}
    return {"case": CASE, "boot": boot, **fields, "end": end}


def test_window_lines_are_read_with_their_fields() -> None:
    assert watchdog_reset.windows(["KTAP version 1", *WINDOW]) == {CASE: {"not-before": 1000, "hz": 1000,
                                                                          "not-after": 1600}}


def test_reset_by_the_watchdog_inside_the_window_passes() -> None:
    status, detail = watchdog_reset.judge(_record({"by": "watchdog", "count": 1010}))
    assert status is Status.PASS and "10 ms after" in detail


def test_reset_before_the_second_timeout_or_after_the_window_fails() -> None:
    early = watchdog_reset.judge(_record({"by": "watchdog", "count": 900}))
    late = watchdog_reset.judge(_record({"by": "watchdog", "count": 1700}))
    assert early == (Status.FAIL, "boot 1: reset by the watchdog too early, at count 900: 100 ms before the second "
                                  "timeout could end (count 1000)")
    assert late[0] is Status.FAIL and "too late, at count 1700: 100 ms after the window closed" in late[1]


def test_other_ends_fail_or_give_no_evidence_never_pass() -> None:
    assert watchdog_reset.judge(_record({"by": "SYSTEM_RESET"}))[0] is Status.FAIL
    assert watchdog_reset.judge(_record({"by": "SYSTEM_OFF", "reason": ""}))[0] is Status.FAIL
    assert watchdog_reset.judge(_record({"by": "stopped", "reason": "ran past its budget of 240 s"}))[0] is Status.FAIL
    assert watchdog_reset.judge(_record({"by": "stopped", "reason": "vCPU 0: unexpected exception"}))[0] is Status.NOT_RUN
    assert watchdog_reset.judge(_record({"by": "running"}))[0] is Status.NOT_RUN
    # The reset came before the guest could say when its window ends: no verdict either way.
    no_end = {"case": CASE, "boot": 1, "not-before": 1000, "hz": 1000, "end": {"by": "watchdog", "count": 1200}}
    assert watchdog_reset.judge(no_end)[0] is Status.NOT_RUN


def test_every_boot_must_pass_and_the_stopped_document_is_the_reset() -> None:
    cases, problems = [_case()], ["watchdog: KTAP document stopped before its plan was complete"]
    ok = [_record({"by": "watchdog", "count": 1010}), _record({"by": "watchdog", "count": 1020}, boot=2)]
    watchdog_reset.apply(cases, WINDOW, ok, problems)
    assert cases[0].status is Status.PASS and cases[0].detail.startswith("host: 2 of 2 boots") and problems == []
    cases = [_case()]
    watchdog_reset.apply(cases, WINDOW, [ok[0], _record({"by": "SYSTEM_OFF"}, boot=2)], [])
    assert cases[0].status is Status.FAIL and cases[0].detail.startswith("boot 2: the VM was not reset")


def test_a_guest_failure_stays_and_a_console_log_alone_is_no_evidence() -> None:
    cases = [_case(Status.FAIL, "no reset: still running 727 ms after arming")]
    watchdog_reset.apply(cases, WINDOW, [_record({"by": "SYSTEM_OFF"})], [])
    assert cases[0].status is Status.FAIL and cases[0].detail.startswith("no reset: still running")
    assert "host: boot 1: the VM was not reset" in cases[0].detail
    cases, problems = [_case()], ["watchdog: KTAP document stopped before its plan was complete"]
    watchdog_reset.apply(cases, WINDOW, None, problems)
    assert cases[0].status is Status.NOT_RUN and "none available from this platform" in cases[0].detail
    assert problems  # without evidence the stopped document stays a problem


def test_refhv_log_gives_each_boot_its_end_and_the_watchdog_count(tmp_path: Path) -> None:
    lines = ["[guest] KTAP version 1", *(f"[guest] {w}" for w in WINDOW),
             "refhv: vm guest: watchdog: WS0 at count 1100 (first timeout): SPI 8 raised",
             "refhv: vm guest: watchdog: WS1 at count 1201 (timeout without refresh): resetting the VM",
             "refhv: vm guest: SYSTEM_RESET: restarting the VM (reset 1)",
             "[guest] KTAP version 1", *(f"[guest] {w}" for w in WINDOW),
             "refhv: vm guest: watchdog: WS1 at count 1302 (timeout without refresh): resetting the VM",
             "refhv: vm guest: SYSTEM_RESET: the VM ends: its reset limit was reached (reset 2)"]
    stream = split(lines).vms["guest"]
    assert stream.reset_watchdog_counts == [1201, 1302] and [len(b) for b in stream.boots] == [3, 3]
    target = RefhvTarget(profiles.load("refhv", "default"), tmp_path / "run" / "refhv")
    out = target.vm_output(BootOutput(lines=lines, times=[0.0] * len(lines)), tmp_path / "console-watchdog.log")
    assert out.host_evidence["shutdown_reason"] == "watchdog-reset" and len(out.lines) == 3
    assert [r["end"] for r in out.host_evidence["watchdog_boots"]] == [{"by": "watchdog", "count": 1201},
                                                                         {"by": "watchdog", "count": 1302}]
    # A PSCI SYSTEM_RESET stays guest-reset: the case that calls it is not passed by a watchdog.
    psci = ["[guest] KTAP version 1", "refhv: vm guest: SYSTEM_RESET: restarting the VM (reset 1)", "[guest] KTAP version 1"]
    assert target.vm_output(BootOutput(lines=psci, times=[0.0] * 3), tmp_path / "c.log").host_evidence[
        "shutdown_reason"] == "guest-reset"
