"""Xen 4.17 (Debian's arm64 build) dom0less target on QEMU TCG: each image boots as a domU, its console demultiplexed."""
from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path
from typing import Sequence

from ...cmdline_digest import close_command_line, new_nonce
from ...cache import MissingToolError, arm64_package_dir, cache_dir, require_program
from ...profiles import PlatformConfig
from .dt import DeviceTreeError, DomainSpec, chosen_dts, compile_dom0less, dump_qemu_dtb, place_modules
from .session import SessionResult, XenSession
from ..base import PANIC_MARKERS, BootImage, BootOutput, exit_errors
from ..qemu import accelerator, qemu_version

REPO = Path(__file__).resolve().parents[4]
XEN_PACKAGE = "xen-hypervisor-4.17-arm64"
XEN_CACHE_NAME = "xen"
# Always: bootscrub=0 (the boot-time scrub costs seconds and a busy host core, XEN-NOTES §4).
XEN_REQUIRED_ARGS = ("console=dtuart", "bootscrub=0")


def fetch_xen() -> Path:
    """Xen's binary from the cached Debian package, fetched once through bootstrap.sh (never installed)."""
    try:
        root = arm64_package_dir(XEN_CACHE_NAME)
    except MissingToolError:
        done = subprocess.run([str(REPO / "harness" / "bootstrap.sh"), "fetch", XEN_CACHE_NAME, XEN_PACKAGE],
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise MissingToolError(f"cannot fetch the Xen package {XEN_PACKAGE} into {cache_dir()}/arm64/"
                                   f"{XEN_CACHE_NAME}: {(done.stderr or done.stdout).strip()[:300]}")
        root = arm64_package_dir(XEN_CACHE_NAME)
    found = sorted(p for p in (root / "boot").glob("xen-*-arm64") if p.suffix != ".efi" and ".config" not in p.name)
    if not found:
        raise MissingToolError(f"no xen-*-arm64 binary in {root}/boot (package {XEN_PACKAGE})")
    return found[-1]


def xen_version(binary: Path) -> str:
    """Xen's real version: the Debian package's (its changelog, next to the unpacked binary), else
    a version string compiled into the binary; never the banner's printf format."""
    root = binary.parent.parent
    for changelog in sorted(root.glob("usr/share/doc/xen-hypervisor-*/changelog.Debian.gz")):
        try:
            first = gzip.decompress(changelog.read_bytes()).decode("utf-8", "replace").splitlines()[0]
        except (OSError, IndexError, EOFError):
            continue
        match = re.match(r"^xen \((?P<version>[^)]+)\)", first)
        if match:
            return f"Xen {match.group('version')} (Debian {changelog.parent.name})"
    data = binary.read_bytes()
    series = re.search(rb"xen,xen-(\d+\.\d+)\0", data)
    if series:
        found = re.search(rb"\0(" + re.escape(series.group(1)) + rb"\.\d+[0-9A-Za-z.+~-]*)\0", data)
        if found:
            return f"Xen {found.group(1).decode('ascii')}"
        return f"Xen {series.group(1).decode('ascii')}"
    return binary.name


class XenTarget:
    """Boots each image as a dom0less domU under Xen, on QEMU virt with virtualization=on."""

    def __init__(self, config: PlatformConfig, scratch: Path) -> None:
        self.config = config
        self.scratch = scratch
        self.binary = require_program(config.qemu, "qemu-system-arm")
        require_program("dtc", "device-tree-compiler")
        self.xen = fetch_xen()
        opts = config.options
        self.host_smp = int(opts.get("host_smp", 2))
        self.host_memory_mib = int(opts.get("host_memory_mib", 2048))
        args = str(opts.get("xen_bootargs", "loglvl=all guest_loglvl=all")).split()
        self.xen_bootargs = " ".join([a for a in XEN_REQUIRED_ARGS if a not in args] + args)
        self.dump_domains = bool(opts.get("dump_domains", True))
        # A probe needs little RAM; when several domUs share one boot they must fit in host_memory_mib.
        self.probe_memory_mib = int(opts.get("probe_memory_mib", config.memory_mib))
        self._base_dtb: Path | None = None

    @property
    def machine(self) -> str:
        c = self.config
        return c.machine + ("," + c.machine_options if c.machine_options else "")

    def platform_facts(self) -> dict[str, object]:
        facts: dict[str, object] = dict(self.config.to_json())
        facts.update({"qemu_version": qemu_version(self.binary), "accelerator": accelerator()[1],
                      "hypervisor": xen_version(self.xen), "xen_binary": str(self.xen),
                      "xen_bootargs": self.xen_bootargs, "mode": "dom0less, no dom0",
                      "host_smp": self.host_smp, "host_memory_mib": self.host_memory_mib,
                      "domu_vcpus": self.config.smp, "domu_memory_mib": self.config.memory_mib})
        return facts

    def _qemu_base(self) -> list[str]:
        return [self.binary, "-cpu", self.config.cpu, "-smp", str(self.host_smp), "-m", str(self.host_memory_mib),
                *accelerator(), "-display", "none", "-nic", "none"]

    def base_dtb(self) -> Path:
        """QEMU's own DT for this machine, dumped once per target."""
        if self._base_dtb is None:
            self.scratch.mkdir(parents=True, exist_ok=True)
            out = self.scratch / "qemu-virt.dtb"
            out.unlink(missing_ok=True)
            self._base_dtb = dump_qemu_dtb(self._qemu_base(), self.machine, out)
        return self._base_dtb

    def domain_for(self, image: BootImage, domid: int) -> DomainSpec:
        c = self.config
        bootargs = ""
        if image.kind == "linux":
            # What the host configured, for the tests that compare it with what the guest sees.
            params = {"cpus": str(c.smp), "mem_mib": str(c.memory_mib), **c.params, **image.params}
            if image.initrd is not None:  # the exact ramdisk module size the DT gives Xen
                params = {"initrd_bytes": str(Path(image.initrd).stat().st_size), **params}
            declared_digest = params.pop("cmdline_digest", None)
            bootargs = close_command_line(c.append + "".join(f" avps.{k}={v}" for k, v in params.items()),
                                          new_nonce(), declared_digest)
        elif image.params.get("cases"):
            # A probe reads its case filter from /chosen/bootargs (guest-tests/probe-runtime/case_filter.h).
            bootargs = f"avps.cases={image.params['cases']}"
        return DomainSpec(name=f"domU{domid}", kernel=image.kernel, initrd=image.initrd if image.kind == "linux" else None,
                          bootargs=bootargs, cpus=c.smp,
                          memory_mib=c.memory_mib if image.kind == "linux" else self.probe_memory_mib)

    def prepare(self, images: Sequence[BootImage], tag: str) -> tuple[list[str], dict[int, str]]:
        """The QEMU command line and the domU id -> kind map for images booted together (domU ids from 1)."""
        domains = [self.domain_for(image, n) for n, image in enumerate(images, start=1)]
        modules = place_modules([p for d in domains for p in (d.kernel, d.initrd) if p is not None])
        dtb = self.scratch / f"xen-{tag}.dtb"
        try:
            compile_dom0less(self.base_dtb(), chosen_dts(domains, modules, self.xen_bootargs), dtb)
        except DeviceTreeError as exc:
            raise OSError(str(exc)) from exc
        command = self._qemu_base() + ["-machine", self.machine, "-monitor", "none", "-serial", "stdio",
                                       "-no-reboot", "-kernel", str(self.xen), "-dtb", str(dtb)]
        for module in modules.values():
            command += module.loader_args()
        return command, {n: image.kind for n, image in enumerate(images, start=1)}

    def run_session(self, images: Sequence[BootImage], log_path: Path, timeout_s: float | None = None) -> SessionResult:
        self.scratch.mkdir(parents=True, exist_ok=True)
        tag = images[0].name if len(images) == 1 else "all"
        command, kinds = self.prepare(images, tag)
        session = XenSession(command, kinds, log_path, timeout_s or self.config.timeout_s, self.dump_domains)
        result = session.run()
        xen_log = log_path.with_name(log_path.name.replace("console-", "xen-", 1))
        if xen_log == log_path:
            xen_log = log_path.with_suffix(".xen.log")
        xen_log.write_text("".join(line + "\n" for line in result.xen_lines))
        return result

    def cannot_boot(self, image: BootImage) -> str | None:
        """A dom0less domU kernel must be an arm64 Image (or uImage/gzip of one): Xen 4.17
        panics on an EFI application, so the UEFI probe is not booted here."""
        if image.kernel.suffix == ".efi":
            return "a Xen dom0less domU boots arm64 Images, not EFI applications (no UEFI firmware in a domU)"
        return None

    def boot(self, image: BootImage, log_path: Path, timeout_s: float | None = None) -> BootOutput:
        result = self.run_session([image], log_path, timeout_s)
        return boot_output(result, 1, log_path)

    def boot_together(self, images: Sequence[BootImage], log_path: Path,
                      timeout_s: float | None = None) -> dict[str, BootOutput]:
        """All images as domUs of one Xen boot (the other layout; see harness/XEN.md for why boot() is used)."""
        result = self.run_session(images, log_path, timeout_s)
        return {image.name: boot_output(result, n, log_path) for n, image in enumerate(images, start=1)}


def domain_shutdown_evidence(end: str | None, vcpus_paused: list[int], domid: int) -> tuple[str | None, str]:
    """What Xen itself shows about a domain's end, as the host's observation for host-judged cases.

    Xen 4.17 logs nothing when a domU calls SYSTEM_OFF or SYSTEM_RESET (only the hardware
    domain's shutdown is printed), but its 'q' dump, taken after the domain went quiet, shows
    each vCPU's pause_count: a shut-down domain has every vCPU paused (domain_shutdown pauses
    them), a running or idle one has none. Without a control domain nothing restarts a domain,
    so a stopped domain stayed off: 'guest-shutdown'. A domain whose vCPUs still run after the
    call was not shut down: 'domain-running'. A crash, a timeout or a missing dump is no evidence."""
    if end not in ("closing", "final") or not vcpus_paused:
        return None, f"no evidence: domain {domid} ended by '{end}', Xen's dump listed {len(vcpus_paused)} vCPU(s)"
    counts = ", ".join(str(c) for c in vcpus_paused)
    if all(count > 0 for count in vcpus_paused):
        return "guest-shutdown", (f"Xen's 'q' dump: every vCPU of domain {domid} paused (pause_count {counts}) and "
                                  "the domain was not restarted (no control domain restarts it)")
    return "domain-running", f"Xen's 'q' dump: domain {domid} still has running vCPUs (pause_count {counts})"


def boot_output(result: SessionResult, domid: int, log_path: Path) -> BootOutput:
    """One domain's view of a session, in the shape every target returns."""
    stream = result.domains[domid]
    out = BootOutput(lines=list(stream.lines), times=list(stream.times), exit_code=result.exit_code,
                     timed_out=stream.end == "timeout",
                     problems=list(result.problems), duration_s=stream.ended_at or result.duration_s,
                     command=result.command)
    if result.exit_code not in (0, None) and result.command:
        out.exit_errors = exit_errors(result.xen_lines, result.command[0])  # QEMU's own, outside every domain
    if stream.end == "timeout":
        out.problems.append(f"domain {domid} did not finish within the timeout: the rest is not-run")
    elif stream.end == "console-ended":
        out.problems.append(f"Xen's console ended before domain {domid} finished")
    elif stream.end == "crashed":
        out.problems.append(f"domain {domid} ended abnormally: Xen reported a crash (see xen log)")
    for line in stream.lines:
        if any(marker in line for marker in PANIC_MARKERS):
            out.problems.append(f"guest kernel panic: {line.strip()[:160]}")
            break
    paused = bool(stream.vcpus_paused) and all(count > 0 for count in stream.vcpus_paused)
    reason, why = domain_shutdown_evidence(stream.end, stream.vcpus_paused, domid)
    out.host_evidence.update({
        "shutdown_reason": reason,
        "shutdown_evidence": why,
        "domain_end": stream.end,
        "domain_stopped": paused if stream.vcpus_paused else None,
        "xen_messages_about_domain": stream.xen_lines[:60],
        "xen_log": log_path.name.replace("console-", "xen-", 1),
        "stop": result.stop,
        "session_seconds": result.duration_s,
    })
    return out


def create(config: PlatformConfig, scratch: Path) -> XenTarget:
    """Driver entry point (see cli._make_target)."""
    return XenTarget(config, scratch)
