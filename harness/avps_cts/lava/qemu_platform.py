"""The platform a LAVA QEMU job attaches: the same QEMU arguments as the direct run, minus what LAVA itself provides."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from ..profiles import PlatformConfig
from ..targets.base import BootImage
from ..targets.qemu import QemuTarget

# What the LAVA device dictionary (or the deploy action) already sets: dropped with their value.
_LAVA_OWNED = {"-kernel", "-initrd", "-append", "-display", "-monitor", "-serial"}


@dataclasses.dataclass
class _Port:
    """Stands in for the direct run's TCP echo server: only its port is needed on the command line."""

    port: int


@dataclasses.dataclass
class QemuPlatform:
    """QEMU arguments for one profile, split the way a LAVA job needs them."""

    args: list[str]  # machine, cpu, smp, memory, globals, devices; disk files as LAVA's {label}
    append: str  # kernel command line of the Linux image (console, quiet, avps.* expectations)
    disks: dict[str, str]  # LAVA image label -> its image_arg ('-drive ...file={label}...')
    echo_sockets: list[Path]  # Unix sockets QEMU connects to; a host responder must listen on each
    silent_sockets: list[Path]  # the same, where the host only listens (profile echo: false)


def platform_args(config: PlatformConfig, host_dir: Path, net_echo_port: int,
                  seeds: dict[str, str] | None = None, initrd: Path | None = None) -> QemuPlatform:
    """host_dir holds the console sockets and shared directories; net_echo_port is where the
    host's TCP echo listens; seeds are the shared directories' nonces (avps.<x>_seed).
    initrd: the initramfs exactly as the guest gets it, when the host knows it (its size is
    declared as avps.initrd_bytes); None when LAVA changes it (overlay) or it is remote."""
    target = QemuTarget(config, host_dir)
    target.host.shares.seeds.update(seeds or {})
    for name in target.host.placeholders("port"):
        target.host.tcp_echo[name] = _Port(net_echo_port)  # type: ignore[assignment]
    cmd = target.command(BootImage(kind="linux", kernel=Path("KERNEL"), initrd=initrd))
    append = cmd[cmd.index("-append") + 1]
    args: list[str] = []
    skip = False
    for arg in cmd[1:]:
        if skip:
            skip = False
            continue
        if arg in _LAVA_OWNED:
            skip = True
            continue
        args.append(arg)
    disks: dict[str, str] = {}
    for device in config.devices:
        for name in device.disks:
            # The disk becomes a deployed image; its -drive goes into that image's image_arg.
            path = str(host_dir / f"{name}.img")
            args = [a.replace(path, "{" + name + "}") for a in args]
            at = next(i for i, a in enumerate(args) if "{" + name + "}" in a)
            disks[name] = " ".join(quote(a) for a in args[at - 1:at + 1])
            del args[at - 1:at + 1]
    echo, silent = [], []
    for device in config.devices:
        for sock in device.sockets:
            path = host_dir / f"{sock}.sock"
            (echo if device.echo == sock and config.echo else silent).append(path)
    return QemuPlatform(args=args, append=append, disks=disks, echo_sockets=echo, silent_sockets=silent)


def quote(arg: str) -> str:
    """One QEMU argument inside a LAVA image_arg (LAVA joins them and the shell splits again)."""
    return arg if re.fullmatch(r"[\w@%+=:,./{}-]+", arg) else '"' + arg.replace('"', '\\"') + '"'
