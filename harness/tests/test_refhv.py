"""Reference hypervisor target: console split, config rejection (file:line), a probe run, and every fault-switch control."""
from __future__ import annotations

import json
import re
import struct
import subprocess
from pathlib import Path

import pytest
import yaml

from avps_cts import profiles
from avps_cts.manifest import load as load_manifest
from avps_cts.results import Status
from avps_cts.run import results_from_boot
from avps_cts.targets.base import BootImage, BootOutput
from avps_cts.targets.refhv.console_split import ktap_finished, split
from avps_cts.targets.refhv.driver import RefhvTarget

REPO = Path(__file__).resolve().parents[2]
CONFIG_TEXT = "vm guest\ncpus 0 1\nram 0x40000000 256M 0x48000000\nimage ${IMAGE} 0x200000\n"


def test_split_keeps_vm_lines_and_hypervisor_events_apart() -> None:
    parts = split(["refhv: vm a: 1 vCPU(s)", "[a] KTAP version 1", "[b] hello", "[a] ok 1 psci",
                   "qemu-system-aarch64: warning", "refhv: vm a: SYSTEM_OFF",
                   "refhv: vm b: stopped: vCPU 0: unexpected exception: ESR=0x0"], [0.1 * i for i in range(7)])
    assert parts.vms["a"].lines == ["KTAP version 1", "ok 1 psci"]
    assert parts.vms["a"].times == [0.1, 0.30000000000000004]
    assert parts.vms["a"].end == "SYSTEM_OFF" and parts.vms["b"].end == "stopped"
    assert parts.vms["b"].end_reason.startswith("vCPU 0: unexpected exception")
    assert parts.other == ["qemu-system-aarch64: warning"]
    assert ktap_finished(parts.vms["a"].lines) and not ktap_finished(parts.vms["b"].lines)


def test_split_reports_a_config_rejected_at_boot() -> None:
    parts = split(["refhv: config rejected: line 3: physical RAM overlaps", "refhv: no VM started; powering off"])
    assert parts.config_error == "line 3: physical RAM overlaps"


def _target(tmp_path: Path, profile: str = "default") -> RefhvTarget:
    return RefhvTarget(profiles.load("refhv", profile), tmp_path / "run" / "refhv")


def _booting_target(refhv_tools: tuple[Path, Path], tmp_path: Path, config: profiles.PlatformConfig) -> RefhvTarget:
    """A target whose scratch lies in the real build folder, so it boots the refhv already built there (a scratch
    under tmp_path makes the driver build refhv again into tmp_path first, about a minute on a loaded host)."""
    return RefhvTarget(config, refhv_tools[0].parent.parent / "run" / f"refhv-test-{tmp_path.name}")


def test_end_seen_by_the_hypervisor_is_the_host_observation(tmp_path: Path) -> None:
    target = _target(tmp_path)
    log = tmp_path / "console-psci.log"
    off = target.vm_output(BootOutput(lines=["[guest] ok 1 psci", "refhv: vm guest: SYSTEM_OFF"], times=[0, 0]), log)
    assert off.host_evidence["shutdown_reason"] == "guest-shutdown" and off.lines == ["ok 1 psci"]
    assert (tmp_path / "console-psci.vm-guest.log").read_text() == "ok 1 psci\n"
    still = target.vm_output(BootOutput(lines=["[guest] ok 1 psci"], times=[0], problems=[
        "guest finished its tests but did not power off within 10 s"]), log)
    assert still.host_evidence["shutdown_reason"] == "still-running" and still.problems == []
    hung = target.vm_output(BootOutput(lines=["[guest] KTAP version 1"], times=[0], timed_out=True), log)
    assert hung.host_evidence["shutdown_reason"] is None
    assert any("did not finish within the timeout" in p for p in hung.problems)


def test_reset_counts_only_when_the_vm_ran_again_and_only_its_first_boot_is_parsed(tmp_path: Path) -> None:
    target = _target(tmp_path)
    log = tmp_path / "console-psci-reset.log"
    first = ["[guest] KTAP version 1", "[guest] # psci: calling SYSTEM_RESET"]
    restart = "refhv: vm guest: SYSTEM_RESET: restarting the VM (reset 1)"
    ended = "refhv: vm guest: SYSTEM_RESET: the VM ends: its reset limit was reached (reset 2)"
    lines = first + [restart, "[guest] KTAP version 1", ended]
    out = target.vm_output(BootOutput(lines=lines, times=[0.0] * len(lines)), log)
    assert out.host_evidence["shutdown_reason"] == "guest-reset", out.host_evidence
    assert out.lines == ["KTAP version 1", "# psci: calling SYSTEM_RESET"]
    assert out.host_evidence["vm_restarts"] == 1 and out.host_evidence["after_first_restart"] == ["KTAP version 1"]
    # Logged as restarting, but the image never printed again: no reset the host can vouch for.
    silent = target.vm_output(BootOutput(lines=first + [restart], times=[0.0] * 3), log)
    assert silent.host_evidence["shutdown_reason"] == "guest-reset-not-restarted"
    no_room = "refhv: vm guest: SYSTEM_RESET: the VM ends: its images could not be kept (no free RAM) (reset 1)"
    gone = target.vm_output(BootOutput(lines=first + [no_room], times=[0.0] * 3), log)
    assert gone.host_evidence["shutdown_reason"] == "guest-reset-not-restarted"


def test_effective_config_limits_resets_like_no_reboot(tmp_path: Path) -> None:
    target = _target(tmp_path)
    image = tmp_path / "probe.img"
    image.write_bytes(b"")
    text = target.effective_config(BootImage(kind="probe", kernel=image, name="psci-reset")).read_text()
    assert "\nresets 1 " in text and "\nbudget " in text


def test_isolation_probe_boots_beside_a_neighbour_whatever_the_profile(tmp_path: Path) -> None:
    image = tmp_path / "isolation.img"
    image.write_bytes(b"")
    for profile in ("default", "stage2-hole", "three-vcpus"):
        target = _target(tmp_path, profile)
        assert target.scenario_of(BootImage(kind="probe", kernel=image, name="isolation")) == "two-vms"
        assert target.scenario_of(BootImage(kind="probe", kernel=image, name="psci")) == target.scenario
    text = _target(tmp_path, "stage2-hole").effective_config(BootImage(kind="probe", kernel=image,
                                                                       name="isolation")).read_text()
    assert "vm neighbour" in text and text.index("fault stage2-hole") < text.index("vm neighbour")


@pytest.fixture(scope="module")
def refhv_tools(qemu_ready: Path) -> tuple[Path, Path]:
    subprocess.run(["make", "-s", "-C", str(REPO), "refhv"], check=True)
    return qemu_ready / "refhv" / "refhv.bin", qemu_ready / "refhv" / "refhv-config"


@pytest.mark.parametrize("text, error", [
    (CONFIG_TEXT + "vm other\ncpus 2\nram 0x40000000 64M 0x50000000\nimage ${IMAGE} 0\n",
     ":7: physical RAM overlaps the RAM of: vm guest (line 3)"),
    (CONFIG_TEXT + "vm other\ncpus 1\n", ":6: physical CPU given twice"),
    (CONFIG_TEXT.replace("${IMAGE}", "no-such.img"), ":4: image no-such.img: file not found"),
    (CONFIG_TEXT + "fault no-such-switch\n", ":5: unknown fault switch: no-such-switch"),
    (CONFIG_TEXT + "device no-such-model\n", ":5: device no-such-model: unknown device model 'no-such-model'"),
    (CONFIG_TEXT + "device entropy fault=no-such-fault\n", ":5: device entropy: model entropy has no fault 'no-such-fault'"),
    (CONFIG_TEXT + "device block size=3K\n", ":5: device block: block: size 3072 is not a multiple of 4096"),
    (CONFIG_TEXT + "device block a b\n", ":5: unexpected extra words"),
])
def test_bad_config_rejected_with_file_and_line(refhv_tools: tuple[Path, Path], tmp_path: Path,
                                                 text: str, error: str) -> None:
    config = tmp_path / "bad.conf"
    config.write_text(text)
    proc = subprocess.run([str(refhv_tools[1]), "--set", f"IMAGE={refhv_tools[0]}", str(config)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert f"{config}{error}" in proc.stderr


def _qemu(hypervisor: Path, loaders: list[str], timeout: float = 60) -> str:
    cmd = ["qemu-system-aarch64", "-M", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a57", "-m", "1G",
           "-smp", "2", "-nographic", "-nic", "none", "-no-reboot", "-kernel", str(hypervisor)]
    for loader in loaders:
        cmd += ["-device", loader]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout).stdout


def test_hypervisor_rejects_a_config_whose_image_is_not_loaded(refhv_tools: tuple[Path, Path], tmp_path: Path) -> None:
    config = tmp_path / "one.conf"
    config.write_text(CONFIG_TEXT)
    out = _qemu(refhv_tools[0], [f"loader,file={config},addr=0x43ff0000,force-raw=on"])
    assert "refhv: config rejected: line 4: vm guest: no arm64 Image (magic ARM\\x64) at physical 0x48200000" in out
    assert "no VM started; powering off" in out


def _raw_image(path: Path, code: list[int]) -> Path:
    """A minimal arm64 Image: branch over the 64-byte header to the given instructions."""
    header = struct.pack("<II", 0x14000010, 0) + struct.pack("<QQQQQQ", 0, 0x1000, 0xa, 0, 0, 0) + b"ARM\x64" + b"\0" * 4
    path.write_bytes(header + b"".join(struct.pack("<I", word) for word in code))
    return path


def test_flooding_guest_is_stopped_and_its_cases_are_not_run(refhv_tools: tuple[Path, Path], tmp_path: Path) -> None:
    # movz x1, #0x0900, lsl #16; mov w2, #'A'; 1: strb w2, [x1]; b 1b
    image = _raw_image(tmp_path / "flood.img", [0xd2a12001, 0x52800822, 0x39000022, 0x17ffffff])
    target = _target(tmp_path)
    out = target.boot(BootImage(kind="probe", kernel=image, name="flood"), tmp_path / "console-flood.log", 120)
    assert any("refhv stopped VM guest: console flood" in p for p in out.problems), out.problems
    assert out.host_evidence["shutdown_reason"] is None and not out.timed_out


def test_spinning_guest_is_stopped_after_the_timeout(refhv_tools: tuple[Path, Path], tmp_path: Path) -> None:
    image = _raw_image(tmp_path / "spin.img", [0x14000000])   # b .
    out = _target(tmp_path).boot(BootImage(kind="probe", kernel=image, name="spin"), tmp_path / "console-spin.log", 8)
    assert out.timed_out and any("did not finish within the timeout" in p for p in out.problems)


def test_spinning_guest_is_stopped_by_its_budget_and_the_other_vm_goes_on(refhv_tools: tuple[Path, Path],
                                                                         tmp_path: Path) -> None:
    config = profiles.load("refhv", "two-vms")
    config.options["budget_s"] = 6
    target = RefhvTarget(config, refhv_tools[0].parent.parent / "run" / "refhv-test-budget")
    image = _raw_image(tmp_path / "spin.img", [0x14000000])   # b .
    log = tmp_path / "console-spin.log"
    out = target.boot(BootImage(kind="probe", kernel=image, name="spin"), log, 120)
    assert not out.timed_out
    assert any("refhv stopped VM guest: ran past its budget of 6 s" in p for p in out.problems), out.problems
    neighbour = (log.parent / "console-spin.vm-neighbour.log").read_text()
    assert re.search(r"^(not )?ok 1 psci$", neighbour, re.M), neighbour[-500:]
    assert "refhv: every VM has ended; powering off" in log.read_text()


# The PSCI probe cases refhv implements and the fault-switch controls stand on.
CORE_PSCI_CASES = ["psci.version", "psci.features.mandatory", "psci.features.unknown_function",
                   "psci.migrate_info_type", "psci.smccc.arch_features", "psci.cpu_on.all_cores",
                   "psci.cpu_on.already_on", "psci.cpu_on.invalid_mpidr", "psci.affinity_info.on", "psci.cpu_off",
                   "psci.cpu_on.after_off", "psci.cpu_suspend.standby", "psci.cpu_suspend.powerdown",
                   "psci.cpu_suspend.smc32_invalid_power_state", "psci.cpu_suspend.woken_by_sgi"]


def test_psci_probe_core_cases_pass_on_the_default_config(refhv_tools: tuple[Path, Path], tmp_path: Path) -> None:
    image = refhv_tools[0].parent.parent / "probes" / "psci.img"
    out = _target(tmp_path).boot(BootImage(kind="probe", kernel=image, name="psci"), tmp_path / "console-psci.log")
    assert out.host_evidence["shutdown_reason"] == "guest-shutdown", out.problems
    results = {m.group(2): m.group(1) for m in (re.match(r"\s*(ok|not ok) \d+ (\S+)", line) for line in out.lines) if m}
    assert {case: results.get(case) for case in CORE_PSCI_CASES} == {case: "ok" for case in CORE_PSCI_CASES}


def test_system_reset_restarts_the_vm_once_and_passes(refhv_tools: tuple[Path, Path], tmp_path: Path) -> None:
    image = refhv_tools[0].parent.parent / "probes" / "psci-reset.img"
    log = tmp_path / "console-psci-reset.log"
    out = _target(tmp_path).boot(BootImage(kind="probe", kernel=image, name="psci-reset"), log)
    refhv_log = "\n".join(out.host_evidence["refhv_log"])
    assert out.host_evidence["shutdown_reason"] == "guest-reset", (out.problems, refhv_log)
    # The image ran again from its entry point (its KTAP header once more), then the harness's
    # `resets 1` ended the VM at the second SYSTEM_RESET, as QEMU's -no-reboot would.
    assert out.host_evidence["vm_restarts"] == 1 and "KTAP version 1" in out.host_evidence["after_first_restart"]
    assert "SYSTEM_RESET: restarting the VM (reset 1)" in refhv_log
    assert "SYSTEM_RESET: the VM ends: its reset limit was reached (reset 2)" in refhv_log
    assert out.lines.count("KTAP version 1") == 1 and out.problems == []


def test_watchdog_probe_is_reset_by_ws1_inside_its_window_in_both_boots(refhv_tools: tuple[Path, Path],
                                                                       tmp_path: Path) -> None:
    # One short boot (about 1 s of QEMU): the probe arms the SBSA watchdog (configs/watchdog.conf) and stops
    # touching it after WS0; refhv's EL2 timer brings WS1, the VM restarts, the second boot is reset too and
    # `resets 1` ends the VM. The host judges both resets against the window the guest announced.
    image = refhv_tools[0].parent.parent / "probes" / "watchdog.img"
    target = _booting_target(refhv_tools, tmp_path, profiles.load("refhv", "default"))
    boot = BootImage(kind="probe", kernel=image, name="watchdog")
    assert "watchdog spi=8" in target.effective_config(boot).read_text()
    out = target.boot(boot, tmp_path / "console-watchdog.log")
    refhv_log = "\n".join(out.host_evidence["refhv_log"])
    assert out.host_evidence["shutdown_reason"] == "watchdog-reset", (out.problems, refhv_log)
    assert "SYSTEM_RESET: the VM ends: its reset limit was reached (reset 2)" in refhv_log
    cases, problems = results_from_boot(boot, out, load_manifest(refhv_tools[0].parent.parent))
    assert [(c.case_id, c.status) for c in cases] == [("watchdog.sbsa.reset_without_refresh", Status.PASS)], cases
    assert cases[0].detail.startswith("host: 2 of 2 boots reset by the watchdog inside the window"), cases[0].detail
    assert problems == []


def test_watchdog_timeout_survives_a_vcpu_entry_after_arming(refhv_tools: tuple[Path, Path], tmp_path: Path) -> None:
    # Arm (WOR 16 ms, WCS.EN), CPU_SUSPEND power-down (refhv enters the vCPU again at once), spin. Entering a vCPU
    # used to set the EL2 timer to the budget alone, dropping the armed timeout: WS1 came only at the budget, and
    # the restarted image ran to it ("reset once, then ran to refhv's budget").
    config = profiles.load("refhv", "default")
    config.options["budget_s"] = 6
    target = _booting_target(refhv_tools, tmp_path, config)
    image = _raw_image(tmp_path / "watchdog.img", [
        0xd2a12201, 0xd2884802, 0xf2a001e2, 0xf9000422,   # x1 = control frame; WOR = 1000000 ticks
        0x52800023, 0xb9000023,                           # WCS = EN
        0xd2800020, 0xf2b88000, 0xd2a00021, 0x10000062,   # CPU_SUSPEND64(power-down 0x10000, entry: the spin)
        0xd2800003, 0xd4000002, 0x14000000])              # context 0; hvc #0; b .
    out = target.boot(BootImage(kind="probe", kernel=image, name="watchdog"), tmp_path / "console-watchdog.log", 60)
    refhv_log = "\n".join(out.host_evidence["refhv_log"])
    assert refhv_log.count("watchdog: WS1 at count") == 2, refhv_log
    assert "SYSTEM_RESET: the VM ends: its reset limit was reached (reset 2)" in refhv_log and "budget" not in refhv_log


def test_linux_image_boots_on_refhv_and_its_boot_and_psci_cases_pass(refhv_tools: tuple[Path, Path],
                                                                     tmp_path: Path) -> None:
    proc = subprocess.run([str(REPO / "harness" / "avps-cts"), "run", "--target", "refhv", "--only", "linux",
                           "--build", str(refhv_tools[0].parent.parent), "--reports", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr[-2000:]
    results = json.loads(next(tmp_path.glob("refhv-*/results.json")).read_text())
    assert results["problems"] == []
    by_id = {c["case_id"]: c["status"] for c in results["cases"]}
    for case_id, status in by_id.items():
        if case_id.startswith(("boot.dt.", "psci.firmware.", "psci.hotplug.", "boot.initrd.")):
            assert status == "pass", (case_id, status)
    # No virtio device on refhv yet: device cases report it absent, never pass.
    assert by_id["virtio.rng.device_present"] == "fail"


ISOLATION_GUEST = r"""
    .globl _start
_start:
    b       code
    .long   0
    .quad   0, 0x10000, 0xa, 0, 0, 0
    .ascii  "ARM\x64"
    .long   0
code:
    adr     x0, vectors
    msr     vbar_el1, x0
    isb
    movz    x3, #0x0900, lsl #16        /* the VM's PL011 */
    movz    x1, #0x5020, lsl #16        /* IPA 0x50200000: right after this VM's 256 MiB */
    ldr     w2, [x1, #56]               /* the next VM's Image magic, if stage 2 lets it through */
    mov     w4, #4
1:  strb    w2, [x3]
    lsr     w2, w2, #8
    subs    w4, w4, #1
    b.ne    1b
    mov     w2, #'\n'
    strb    w2, [x3]
off:
    movz    x0, #0x8400, lsl #16
    add     x0, x0, #8                  /* SYSTEM_OFF */
    hvc     #0
    b       .
    .balign 2048
vectors:
    .rept   16
    .balign 128
    b       aborted
    .endr
aborted:
    mrs     x5, esr_el1
    lsr     x5, x5, #26                 /* EC 0x25: data abort at EL1 */
    add     w2, w5, #('a' - 0x25)       /* 'a' for the expected class */
    strb    w2, [x3]
    mov     w2, #'\n'
    strb    w2, [x3]
    b       off
"""


def _isolation_guest(tmp_path: Path) -> Path:
    source = tmp_path / "isolation.S"
    source.write_text(ISOLATION_GUEST)
    elf = tmp_path / "isolation.elf"
    subprocess.run(["aarch64-linux-gnu-gcc", "-nostdlib", "-static", "-Wl,-Ttext=0", "-Wl,--build-id=none",
                    str(source), "-o", str(elf)], check=True)
    image = tmp_path / "isolation.img"
    subprocess.run(["aarch64-linux-gnu-objcopy", "-O", "binary", str(elf), str(image)], check=True)
    return image


@pytest.mark.parametrize("faults, guest_line", [([], "a"), (["stage2-hole"], "ARMd")])
def test_one_vm_cannot_read_another_unless_stage2_has_a_hole(refhv_tools: tuple[Path, Path], tmp_path: Path,
                                                             faults: list[str], guest_line: str) -> None:
    config = profiles.load("refhv", "two-vms")
    config.options["faults"] = faults
    target = RefhvTarget(config, refhv_tools[0].parent.parent / "run" / f"refhv-test-isolation-{len(faults)}")
    image = _isolation_guest(tmp_path)
    log = tmp_path / "console-isolation.log"
    out = target.boot(BootImage(kind="probe", kernel=image, name="isolation"), log, 120)
    assert out.lines == [guest_line], out.lines
    assert out.host_evidence["shutdown_reason"] == "guest-shutdown"
    refhv_log = "\n".join(out.host_evidence["refhv_log"])
    injected = "vm guest: vCPU 0: data abort at IPA 0x50200038"
    assert (injected in refhv_log) == (not faults), refhv_log
    assert ("fault stage2-hole: vm neighbour's RAM (physical 0x58000000) readable at IPA 0x50000000" in refhv_log) == bool(faults)
    # The neighbour ran its own probe to the end beside it.
    neighbour = (log.parent / "console-isolation.vm-neighbour.log").read_text()
    assert re.search(r"^(not )?ok 1 psci$", neighbour, re.M), neighbour[-500:]


def test_profile_device_faults_reach_the_device_lines(tmp_path: Path) -> None:
    image = BootImage(kind="probe", kernel=tmp_path / "virtio-mmio.img", name="virtio-mmio")
    text = _target(tmp_path, "virtio-blk-used-length-wrong").effective_config(image).read_text()
    assert "device entropy " in text and "fault=used-length-wrong" not in text.split("device entropy")[1].split("\n")[0]
    assert "device block size=64M,serial=avps-blk0,queues=2,physical_block_size=4096,fault=used-length-wrong" in text
    assert "device block size=8M,serial=avps-blk-ro,ro,fault=used-length-wrong" in text
    config = profiles.load("refhv", "virtio-rng-used-length-wrong")
    config.options["device_faults"] = {"no-such-model": "no-such-fault"}
    with pytest.raises(Exception, match="sets device faults for no-such-model, but vm guest has no such device"):
        RefhvTarget(config, tmp_path / "run" / "refhv").effective_config(image)


# The virtio-mmio probe cases the reference devices on refhv pass (transport, entropy, block, interrupt at the GIC).
VIRTIO_CASES = ["virtio.mmio.magic", "virtio.mmio.version", "virtio.mmio.ids", "virtio.mmio.feature_version_1",
                "virtio.mmio.status_handshake", "virtio.mmio.queue_setup", "virtio.rng.request",
                "virtio.blk.read_sector0", "virtio.blk.write_readback", "virtio.blk.readonly_write_rejected",
                "virtio.mmio.interrupt_status", "virtio.mmio.reset", "virtio.mmio.used_buffer_asserts_interrupt",
                "virtio.mmio.used_buffer_interrupt_taken",
                "virtio.scmi.cmdq_burst_answered", "virtio.scmi.failed_response_status_only",
                "virtio.scmi.async_refused_without_eventq", "virtio.scmi.notifications_not_advertised_without_eventq",
                "virtio.scmi.delayed_response_waits_for_buffer", "virtio.scmi.failed_delayed_response_status_only",
                "virtio.scmi.clock_rate_set_applied", "virtio.scmi.power_state_set_applied"]


def test_virtio_mmio_probe_passes_on_the_reference_devices(refhv_tools: tuple[Path, Path], tmp_path: Path) -> None:
    image = refhv_tools[0].parent.parent / "probes" / "virtio-mmio.img"
    out = _target(tmp_path, "virtio-devices").boot(BootImage(kind="probe", kernel=image, name="virtio-mmio"),
                                                   tmp_path / "console-virtio-mmio.log")
    assert out.host_evidence["shutdown_reason"] == "guest-shutdown", out.problems
    results = {m.group(2): m.group(1) for m in (re.match(r"\s*(ok|not ok) \d+ (\S+)", line) for line in out.lines) if m}
    assert {case: results.get(case) for case in VIRTIO_CASES} == {case: "ok" for case in VIRTIO_CASES}
    # The reference platform is known-good: no case of the probe fails on it (an absent class skips).
    assert [case for case, verdict in results.items() if verdict != "ok"] == []
    # Classes this scenario does not offer: their statement cases SKIP "device absent", never fail (whether a
    # platform must offer a class is judged once per platform, not by each statement case).
    absent = {m.group(1) for m in (re.match(r"\s*ok \d+ (\S+) # SKIP device absent", line) for line in out.lines) if m}
    assert set(ABSENT_CLASS_CASES) - absent == set()


# One case per device class scenario virtio-devices does not offer (network, console, input, GPU, crypto, SCSI, balloon).
ABSENT_CLASS_CASES = ["virtio.net.mtu_in_range", "virtio.console.device_add_ports_valid",
                      "virtio.input.unsupported_query_size_zero", "virtio.gpu.fenced_command_completed",
                      "virtio.crypto.config_limits", "virtio.scsi.response_and_status_codes",
                      "virtio.balloon.stats_any_order_unknown_ignored"]


# The console, input and network probe cases, on profile virtio-console-input (the console's port 0 is the host end;
# the network device has two queue pairs and the receive/transmit offloads).
IO_CASES = ["virtio.console.device_add_ports_valid", "virtio.console.emerg_write_unconfigured",
            "virtio.console.device_remove_names_added_port", "virtio.input.unsupported_query_size_zero",
            "virtio.net.mtu_in_range", "virtio.net.speed_duplex_values", "virtio.net.mtu_unchanged",
            "virtio.net.tx_header_hints_ignored", "virtio.net.rx_header_without_offloads", "virtio.net.rx_num_buffers_one",
            "virtio.net.rx_mergeable_buffers", "virtio.net.ctrl_rx_modes_implemented",
            "virtio.net.mac_addr_set_updates_config", "virtio.net.announce_ack_clears_status",
            "virtio.net.mac_table_set_applied", "virtio.net.mac_table_empty_after_reset",
            "virtio.net.mtu_sized_frame_forwarded", "virtio.net.rx_frames_within_mtu",
            "virtio.net.tx_wrong_checksum_not_trusted", "virtio.net.rx_data_valid_checksums_hold",
            "virtio.net.rx_needs_csum_completes", "virtio.net.rx_gso_header_complete",
            "virtio.net.mq_receive_within_configured_pairs"]


def test_console_input_and_net_probe_cases_pass_on_the_reference_devices(refhv_tools: tuple[Path, Path],
                                                                          tmp_path: Path) -> None:
    image = refhv_tools[0].parent.parent / "probes" / "virtio-mmio.img"
    out = _target(tmp_path, "virtio-console-input").boot(BootImage(kind="probe", kernel=image, name="virtio-mmio"),
                                                         tmp_path / "console-virtio-mmio.log")
    assert out.host_evidence["shutdown_reason"] == "guest-shutdown", out.problems
    results = {m.group(2): m.group(1) + (" # SKIP" if "# SKIP" in line else "")
               for line in out.lines for m in [re.match(r"\s*(ok|not ok) \d+ (\S+)", line)] if m}
    assert {case: results.get(case) for case in IO_CASES} == {case: "ok" for case in IO_CASES}


def test_linux_virtio_cases_pass_on_the_reference_devices(refhv_tools: tuple[Path, Path], tmp_path: Path) -> None:
    proc = subprocess.run([str(REPO / "harness" / "avps-cts"), "run", "--target", "refhv", "--profile", "virtio-devices",
                           "--only", "linux", "--build", str(refhv_tools[0].parent.parent), "--reports", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr[-2000:]
    results = json.loads(next(tmp_path.glob("refhv-*/results.json")).read_text())
    assert results["problems"] == []
    by_id = {c["case_id"]: c["status"] for c in results["cases"]}
    # The disks are RAM in refhv: the host cannot read them back, so its durability cases stay not-run.
    host_judged = {"virtio.blk.data_integrity", "virtio.blk.flush"}
    offered = [c for c in by_id if c.startswith(("virtio.rng.", "virtio.blk.", "virtio.gpio.", "virtio.i2c.",
                                                 "virtio.vsock.", "virtio.scmi."))]
    assert len(offered) >= 17
    assert {c: by_id[c] for c in offered if c not in host_judged} == {c: "pass" for c in offered if c not in host_judged}
    assert {by_id[c] for c in host_judged} == {"not-run"}
    # The platform watchdog (configs/linux-virtio.conf `watchdog spi=8`, an SBSA generic watchdog) counts down
    # and a keepalive restores it.
    assert by_id["virtio.watchdog.countdown_and_keepalive"] == "pass"
