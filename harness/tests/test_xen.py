"""One short real Xen boot: the psci probe as a dom0less domU, with real verdicts, the Xen log kept, QEMU stopped."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from avps_cts import profiles
from avps_cts.cache import MissingToolError
from avps_cts.manifest import load
from avps_cts.results import Status
from avps_cts.run import probe_images, results_from_boot


def test_psci_probe_as_a_xen_domu(qemu_ready: Path, tmp_path: Path) -> None:
    from avps_cts.targets import xen
    manifest = load(qemu_ready)
    image = next((i for i in probe_images(qemu_ready, manifest) if i.name == "psci"), None)
    if image is None:
        pytest.fail("build/probes/psci.img missing: run 'make test' (it builds first)")
    try:
        target = xen.create(profiles.load("xen"), tmp_path / "scratch")
    except MissingToolError as exc:
        pytest.fail(f"the Xen target cannot start: {exc}")
    log = tmp_path / "console-psci.log"
    start = time.monotonic()
    out = target.boot(image, log, timeout_s=45)
    elapsed = time.monotonic() - start
    cases, problems = results_from_boot(image, out, manifest)
    status = {c.case_id: c for c in cases}

    assert elapsed < 45, f"one probe domU took {elapsed:.1f} s"
    assert out.host_evidence["domain_end"] == "closing", out.problems
    assert out.host_evidence["stop"] == "xen-reboot-key" and out.exit_code == 0
    assert not out.timed_out and problems == [], problems
    # Real verdicts from Xen's own PSCI 1.1: version, features, SMP bring-up of the second vCPU.
    for case in ("psci.version", "psci.features.mandatory", "psci.smccc.version", "psci.cpu_on.all_cores",
                 "psci.cpu_on.already_on", "psci.cpu_off", "psci.cpu_on.smc32", "psci.cpu_suspend.standby"):
        assert status[case].status is Status.PASS, f"{case}: {status[case].status} {status[case].detail}"
    # Xen's known race (known-nonconformance.yaml): a CPU_ON right after AFFINITY_INFO says OFF can
    # start the CPU with x0 = 0; the case repeats OFF -> ON until that shows, in every boot.
    after_off = status["psci.cpu_on.after_off"]
    assert "psci.cpu_on.after_off" in profiles.known_nonconformance("xen")
    assert after_off.status is Status.FAIL and any(", got 0x0" in d for d in after_off.diagnostics), after_off
    assert "rounds of CPU_OFF -> CPU_ON ran" in after_off.detail
    assert "PSCI_VERSION = 0x10001" in status["psci.version"].detail
    assert all(c.status is not Status.NOT_RUN for c in cases)
    # Xen logs nothing when a domU calls SYSTEM_OFF, but its 'q' dump shows every vCPU paused for
    # shutdown and nothing restarts the domain: the host's evidence of a power-off.
    assert out.host_evidence["domain_stopped"] is True
    assert out.host_evidence["shutdown_reason"] == "guest-shutdown", out.host_evidence["shutdown_evidence"]
    assert status["psci.system_off"].status is Status.PASS and "host observed" in status["psci.system_off"].detail
    # The domain stream is plain (no Xen prefixes); Xen's own lines are kept beside the console log.
    assert out.lines[0] == "KTAP version 1" and not any("(XEN)" in line for line in out.lines)
    xen_log = (tmp_path / "xen-psci.log").read_text()
    assert "Xen version 4.17" in xen_log and "Xen dom0less mode detected" in xen_log
    dts = (tmp_path / "scratch" / "xen-psci.dts").read_text()
    assert "bootscrub=0" in target.xen_bootargs.split() and "bootscrub=0" in dts
