"""A domU's end, judged from its own stream: Linux power-off/panic, probe verdict and host-check, timeout."""
from __future__ import annotations

from avps_cts.targets.xen.domain_end import DomainEnd, xen_panicked, xen_reports_crash


def test_linux_power_down_ends_it_at_once() -> None:
    end = DomainEnd("linux", timeout_s=300)
    end.feed("# avps-runner: done", 5.0)
    assert end.finished(5.1) is None
    end.feed("[    6.48] reboot: Power down", 5.3)
    assert end.finished(5.4) is None and end.finished(5.6) == "final"


def test_linux_without_power_down_line_ends_after_the_grace() -> None:
    end = DomainEnd("linux", timeout_s=300, linux_grace_s=5.0)
    end.feed("avps-init: powering off", 10.0)
    assert end.finished(14.0) is None and end.finished(15.1) == "closing"


def test_linux_panic_is_final() -> None:
    end = DomainEnd("linux", timeout_s=300)
    end.feed("---[ end Kernel panic - not syncing: Attempted to kill init! ]---", 2.0)
    assert end.finished(2.5) == "final"


def test_probe_verdict_then_quiet() -> None:
    end = DomainEnd("probe", timeout_s=300, quiet_s=1.0, verdict_quiet_s=0.3)
    end.feed("# probe: boot-to-verdict 44 ms (counter 162 ms)", 1.0)
    end.feed("# host-check: psci.system_off expect=guest-shutdown", 1.01)
    assert end.finished(1.2) is None and end.finished(1.4) == "closing"


def test_probe_host_check_waits_longer_and_more_output_restarts_the_wait() -> None:
    end = DomainEnd("probe", timeout_s=300, quiet_s=1.0)
    end.feed("    # host-check: psci.system_reset expect=guest-reset", 1.0)
    assert end.finished(1.5) is None
    end.feed("    # psci: SYSTEM_RESET returned -1", 1.8)  # the call came back: not over yet
    assert end.finished(2.5) is None and end.finished(2.9) == "closing"


def test_silence_before_any_end_marker_is_a_timeout() -> None:
    end = DomainEnd("probe", timeout_s=10)
    end.feed("KTAP version 1", 0.5)
    assert end.finished(9.9) is None and end.finished(10.0) == "timeout"


def test_xen_lines_about_crashes_and_panics() -> None:
    assert xen_reports_crash("Domain 2 (vcpu#0) crashed on cpu#1:") == 2
    assert xen_reports_crash("d2v0 Unhandled SMC/HVC: 0x84000050") is None
    assert xen_panicked("Panic on CPU 0:")
    assert not xen_panicked("Freed 348kB init memory.")


def test_shutdown_judged_from_xens_domain_dump() -> None:
    from avps_cts.targets.xen.driver import domain_shutdown_evidence
    assert domain_shutdown_evidence("closing", [1, 1], 1)[0] == "guest-shutdown"
    assert domain_shutdown_evidence("closing", [1, 0], 1)[0] == "domain-running"
    assert domain_shutdown_evidence("timeout", [1, 1], 1)[0] is None  # a hang is no evidence
    assert domain_shutdown_evidence("crashed", [1, 1], 1)[0] is None
    assert domain_shutdown_evidence("closing", [], 1)[0] is None  # no dump, no evidence
