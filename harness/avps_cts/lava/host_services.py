"""Host services a local LAVA QEMU job needs, exactly as the direct run has them: console responders, TCP echo, shares, QMP helpers."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ..profiles import PlatformConfig
from ..targets.qemu import QemuTarget

SEED_ENV = "AVPS_SEED_"  # + directory name: the shared directory's nonce, for the job renderer
PORT_ENV = "AVPS_NET_ECHO_PORT"


def run_with_services(config: PlatformConfig, host_dir: Path, command: list[str]) -> int:
    """Starts what the QEMU target starts around a boot, runs command (lava-run), stops it all.

    The QEMU target's own pieces are reused so the host side matches the direct run: shared
    directories with fresh seeds, the AVPS-FILE/-INPUT/-SCREEN request handlers (the latter
    two drive QEMU through the QMP socket the job's QEMU listens on), a responder on every
    console socket, and a TCP echo. The echo's port reaches command as $AVPS_NET_ECHO_PORT and
    each directory's nonce as $AVPS_SEED_<NAME>: render the job inside command.
    Returns command's exit status.
    """
    target = QemuTarget(config, host_dir)
    with target.host.running() as responders:
        env = dict(os.environ)
        env.update({PORT_ENV: str(server.port) for server in target.host.tcp_echo.values()})
        env.update({SEED_ENV + name: seed for name, seed in target.host.shares.seeds.items()})
        rc = subprocess.run(command, env=env).returncode
    for responder in responders:
        print(f"avps-cts lava-services: {responder.path.name}: {len(responder.received)} lines received, "
              f"{responder.replied} answered")
    for server in target.host.tcp_echo.values():
        print(f"avps-cts lava-services: TCP echo on port {server.port}: {server.bytes_echoed} bytes echoed")
    return rc


def socket_dir(build: Path) -> Path:
    return build / "lava" / "host"
