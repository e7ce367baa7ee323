"""Boot images for LAVA jobs: the guest initramfs variant that gives a shell prompt, and blank disks for the platform."""
from __future__ import annotations

import shutil
from pathlib import Path

from ..initramfs import INSTALL_DIR, build_initramfs
from ..kernel import GuestKernel
from ..profiles import PlatformConfig

REPO = Path(__file__).resolve().parents[3]
CASES_SCRIPT = REPO / "lava" / "guest" / "avps-lava-cases.sh"
SHELL_PROMPT = "avps-cts# "

# Replaces the runner invocation in the guest's /init: after the drivers are loaded the
# console gets a root shell, again and again, so LAVA can log in by prompt and run its overlay.
SHELL_RUN = f"""export HOME=/root PS1='{SHELL_PROMPT}'
echo "avps-init: LAVA shell image: tests in {INSTALL_DIR}, run {INSTALL_DIR}/avps-lava-cases.sh"
while :; do setsid cttyhack sh; done"""


def shell_image(build: Path, kernel: GuestKernel, out: Path) -> Path:
    """The suite's initramfs with a shell instead of a run at boot, plus the LAVA reporting script."""
    tree = build / "lava" / "collection"
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(build / "guest" / "kselftest", tree, symlinks=True)
    shutil.copy2(CASES_SCRIPT, tree / CASES_SCRIPT.name)
    return build_initramfs(kernel, tree, out, run_command=SHELL_RUN).path


def blank_disks(config: PlatformConfig, folder: Path) -> dict[str, Path]:
    """A zero-filled (sparse) image for every disk the platform attaches, as the direct run makes them."""
    folder.mkdir(parents=True, exist_ok=True)
    disks = {}
    for device in config.devices:
        for name, mib in device.disks.items():
            path = folder / f"{name}.img"
            path.unlink(missing_ok=True)
            with path.open("wb") as f:
                f.truncate(mib * 1024 * 1024)
            disks[name] = path
    return disks
