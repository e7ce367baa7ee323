"""Boots the reference hypervisor on QEMU virt (EL2, TCG) with one scenario config; the image under test runs as a VM."""
from __future__ import annotations

import subprocess
from pathlib import Path

from ...cache import require_program
from ...cmdline_digest import close_command_line, new_nonce
from ...host import watchdog_reset
from ...profiles import PlatformConfig
from ..base import BootImage, BootOutput, stream_process
from ..qemu import qemu_version
from .console_split import EVENT_WORDS, VmStream, ktap_finished, split

REPO = Path(__file__).resolve().parents[4]
CONFIG_DIR = REPO / "reference-hv" / "configs"
# The grace a VM gets between its last KTAP line and its end in the hypervisor's log.
END_GRACE_S = 10.0
# Build folders whose refhv this process has brought up to date (RefhvTarget._hypervisor).
_BUILT: set[Path] = set()


class ConfigRejected(Exception):
    """refhv-config refused the scenario (message: file:line: reason)."""


class RefhvTarget:
    """One scenario (reference-hv/configs/<scenario>.conf) plus the profile's fault switches."""

    def __init__(self, config: PlatformConfig, scratch: Path) -> None:
        self.config = config
        self.scratch = scratch
        self.build = scratch.parent.parent
        self.binary = require_program(config.qemu, "qemu-system-arm")
        self.scenario = str(config.options.get("scenario", "one-vm"))
        # The Linux image boots in its own scenario (two vCPUs, initramfs, kernel command line).
        self.linux_scenario = str(config.options.get("linux_scenario", "linux"))
        # Probes that need a scenario of their own, whatever the profile's (the isolation probe needs a
        # neighbour VM): image name -> scenario.
        self.image_scenarios = {str(k): str(v) for k, v in (config.options.get("image_scenarios") or {}).items()}
        self.faults = [str(f) for f in config.options.get("faults", []) or []]
        # Fault switches of the reference device models: model -> fault name(s), added to that model's
        # `device` lines of the image VM as fault=<name> options.
        self.device_faults = {str(model): [str(f) for f in (names if isinstance(names, list) else [names])]
                              for model, names in (config.options.get("device_faults") or {}).items()}
        self.image_vm = str(config.options.get("image_vm", "guest"))
        self.boot_nonce = new_nonce()  # makes each run's command line (and its digest) unique
        # Further ${NAME} paths of the scenario (a neighbour VM's image), relative to the build folder.
        self.sets = {str(k): str(v) for k, v in (config.options.get("sets") or {}).items()}
        self.host_memory_mib = int(config.options.get("host_memory_mib", 2048))
        # refhv stops the image's VM itself after this budget, so a spinning guest ends with a
        # reason while any other VM goes on; the run's timeout stays the last resort.
        self.budget_s = int(config.options.get("budget_s", max(5, int(config.timeout_s * 0.8))))

    def platform_facts(self) -> dict[str, object]:
        facts: dict[str, object] = dict(self.config.to_json())
        facts.update({"qemu_version": qemu_version(self.binary), "hypervisor": "refhv (reference-hv/)",
                      "scenario": self.scenario, "image_scenarios": self.image_scenarios,
                      "fault_switches": self.faults,
                      "device_fault_switches": self.device_faults})
        return facts

    def cannot_boot(self, image: BootImage) -> str | None:
        if image.kernel.suffix == ".efi":
            return "refhv boots arm64 Images; it has no UEFI firmware for an EFI application"
        return None

    def _hypervisor(self) -> tuple[Path, Path]:
        """Builds refhv.bin and refhv-config into this build folder (incremental), once per process and
        build folder: a control run boots many profiles with the hypervisor its first boot built."""
        build = self.build.resolve()
        if build not in _BUILT:
            proc = subprocess.run(["make", "-s", "-C", str(REPO), f"BUILD={build}", "refhv"],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise OSError(f"building the reference hypervisor failed: {proc.stderr.strip()[-400:]}")
            _BUILT.add(build)
        return build / "refhv" / "refhv.bin", build / "refhv" / "refhv-config"

    def scenario_of(self, image: BootImage) -> str:
        """The scenario an image boots in: Linux in linux_scenario, a probe in its own or the profile's."""
        if image.kind == "linux":
            return self.linux_scenario
        return self.image_scenarios.get(image.name, self.scenario)

    def effective_config(self, image: BootImage) -> Path:
        """The scenario file, plus the image VM's budget and one 'fault' line per switch the profile names."""
        scenario = self.scenario_of(image)
        source = CONFIG_DIR / f"{scenario}.conf"
        if not source.exists():
            raise ConfigRejected(f"{source}: no such scenario")
        lines = source.read_text().splitlines(keepends=True)
        starts = [n for n, line in enumerate(lines) if line.split("#")[0].split() == ["vm", self.image_vm]]
        if not starts:
            raise ConfigRejected(f"{source}: no 'vm {self.image_vm}' to run the image in")
        added = [f"budget {self.budget_s}   # added by the harness (run timeout)\n",
                 "resets 1   # added by the harness: a second SYSTEM_RESET ends the VM (as QEMU's -no-reboot)\n"]
        added += [f"fault {f}   # added by profile {self.config.profile}\n" for f in self.faults]
        if image.kind != "linux" and image.params.get("cases"):
            added.append(f"bootargs avps.cases={image.params['cases']}\n")  # the probe's case filter
        lines[starts[0] + 1:starts[0] + 1] = added
        self._add_device_faults(lines, starts[0], source)
        text = "".join(lines)
        if image.kind == "linux":
            text = text.replace("${BOOTARGS}", self.bootargs(image, self.vcpus_of_image_vm(lines, starts[0]))).replace(
                "${INITRD_SIZE}", str(image.initrd.stat().st_size if image.initrd else 0))
        self.scratch.mkdir(parents=True, exist_ok=True)
        path = self.scratch / f"refhv-{image.name}.conf"
        path.write_text(text)
        return path

    def _add_device_faults(self, lines: list[str], start: int, source: Path) -> None:
        """Appends fault=<name> to the options of every `device <model>` line of the image VM the profile names."""
        seen: set[str] = set()
        for n in range(start + 1, len(lines)):
            words = lines[n].split("#")[0].split()
            if words[:1] == ["vm"]:
                break
            if words[:1] == ["device"] and len(words) >= 2 and words[1] in self.device_faults:
                extra = ",".join(f"fault={f}" for f in self.device_faults[words[1]])
                options = ",".join(filter(None, [words[2] if len(words) > 2 else "", extra]))
                lines[n] = f"device {words[1]} {options}   # fault switches added by profile {self.config.profile}\n"
                seen.add(words[1])
        missing = sorted(set(self.device_faults) - seen)
        if missing:
            raise ConfigRejected(f"{source}: profile {self.config.profile} sets device faults for {', '.join(missing)}, "
                                 f"but vm {self.image_vm} has no such device")

    @staticmethod
    def vcpus_of_image_vm(lines: list[str], start: int) -> int:
        """How many vCPUs the scenario gives the image's VM (its `cpus` statement)."""
        for line in lines[start + 1:]:
            words = line.split("#")[0].split()
            if words[:1] == ["vm"]:
                break
            if words[:1] == ["cpus"]:
                return len(words) - 1
        return 0

    def bootargs(self, image: BootImage, vcpus: int) -> str:
        """The kernel command line: the target's append plus what the host declares (avps.<key>=<value>),
        with the image VM's real vCPU count and RAM (memory_mib must match the scenario), as the QEMU
        target does."""
        params = {"cpus": str(vcpus), "mem_mib": str(self.config.memory_mib), **self.config.params, **image.params}
        if image.initrd is not None:
            params.setdefault("initrd_bytes", str(image.initrd.stat().st_size))
        # As on the QEMU target: the last token digests the rest, so boot.dt.chosen_bootargs can check
        # that refhv's DT hands the command line over byte for byte.
        declared_digest = params.pop("cmdline_digest", None)
        text = self.config.append + "".join(f" avps.{k}={v}" for k, v in params.items())
        return close_command_line(text, self.boot_nonce, declared_digest)

    def command(self, image: BootImage) -> list[str]:
        hypervisor, tool = self._hypervisor()
        config = self.effective_config(image)
        sets = ["--set", f"IMAGE={image.kernel}"]
        for name, path in self.sets.items():
            sets += ["--set", f"{name}={self.build.resolve() / path}"]
        if image.initrd is not None:
            sets += ["--set", f"INITRD={image.initrd}"]
        proc = subprocess.run([str(tool), *sets, str(config)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise ConfigRejected(proc.stderr.strip())
        machine = self.config.machine + ("," + self.config.machine_options if self.config.machine_options else "")
        return [self.binary, "-machine", machine, "-cpu", self.config.cpu, "-m", str(self.host_memory_mib),
                "-accel", "tcg", "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
                "-nic", "none", "-kernel", str(hypervisor), *proc.stdout.split("\n")[:-1]]

    def boot(self, image: BootImage, log_path: Path, timeout_s: float | None = None) -> BootOutput:
        try:
            command = self.command(image)
        except ConfigRejected as exc:
            log_path.write_text(f"avps-cts: refhv config rejected: {exc}\n")
            return BootOutput(exit_code=2, problems=[f"refhv config rejected: {exc}"])

        def finished(lines: list[str]) -> bool:
            vm_lines = split(lines[-200:]).vms.get(self.image_vm)
            return vm_lines is not None and ktap_finished(vm_lines.lines, image.kind)

        raw = stream_process(command, log_path, timeout_s or self.config.timeout_s, stop_when=finished,
                             grace_s=END_GRACE_S)
        return self.vm_output(raw, log_path, image.kind)

    @staticmethod
    def boot_ends(stream: VmStream) -> list[dict[str, object]]:
        """How each boot of the image VM ended, in the words host/watchdog_reset.py judges."""
        def reset(index: int) -> dict[str, object]:
            counts = stream.reset_watchdog_counts
            count = counts[index] if index < len(counts) else None
            return {"by": "watchdog", "count": count} if count is not None else {"by": "SYSTEM_RESET"}
        ends = [reset(i) for i in range(len(stream.restarts))]
        if stream.end == "SYSTEM_RESET":
            ends.append(reset(len(stream.restarts)))
        elif stream.end is not None:
            ends.append({"by": stream.end, "reason": stream.end_reason or ""})
        return ends

    def vm_output(self, raw: BootOutput, log_path: Path, kind: str = "probe") -> BootOutput:
        """The image VM's lines as the KTAP parser needs them; its end as the host observed it."""
        parts = split(raw.lines, raw.times)
        stream = parts.vm(self.image_vm)
        for name, vm in parts.vms.items():
            log_path.with_name(f"{log_path.stem}.vm-{name}.log").write_text("".join(f"{line}\n" for line in vm.lines))
        problems = [p for p in raw.problems if "did not power off" not in p]
        observed = EVENT_WORDS.get(stream.end or "")
        lines, times = stream.first_boot
        if stream.restarts or stream.end == "SYSTEM_RESET":
            # A reset is what the host saw only when the image really ran again after it; refhv's log says
            # whether the VM's watchdog (WS1) or a PSCI SYSTEM_RESET caused it.
            by_watchdog = bool(stream.reset_watchdog_counts) and stream.reset_watchdog_counts[0] is not None
            observed = "watchdog-reset" if by_watchdog else "guest-reset"
            observed += "" if stream.restarted else "-not-restarted"
        if parts.config_error:
            problems.append(f"refhv rejected the config {self.scratch / 'refhv-*.conf'}: {parts.config_error}")
        elif stream.end == "stopped":
            problems.append(f"refhv stopped VM {self.image_vm}: {stream.end_reason}")
        elif stream.end is None and not stream.restarts and not raw.timed_out and ktap_finished(lines, kind):
            # refhv logs every VM's end; none within the grace means the VM is still running.
            observed = "still-running"
        if raw.timed_out:
            problems.append(f"VM {self.image_vm} did not finish within the timeout; refhv and QEMU were stopped")
        out = BootOutput(lines=lines, times=times, exit_code=raw.exit_code, timed_out=raw.timed_out,
                         problems=problems, duration_s=raw.duration_s, command=raw.command, exit_errors=raw.exit_errors)
        out.host_evidence.update({
            "shutdown_reason": observed,
            "vm_end": stream.end, "vm_end_reason": stream.end_reason,
            "vm_restarts": len(stream.restarts),
            "after_first_restart": stream.lines[stream.restarts[0]:][:5] if stream.restarts else [],
            "refhv_log": parts.hypervisor[:80],
            "watchdog_boots": watchdog_reset.observe(stream.boots, self.boot_ends(stream)),
            "unprefixed_lines": parts.other[:20],
        })
        return out
