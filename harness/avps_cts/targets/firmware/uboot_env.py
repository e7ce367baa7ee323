"""U-Boot environment in pflash: the firmware's built-in default environment, changed, as an image U-Boot loads at start."""
from __future__ import annotations

import zlib
from pathlib import Path

UBOOT_QEMU_ARM64 = Path("/usr/lib/u-boot/qemu_arm64/u-boot.bin")
# qemu_arm64 keeps its environment at the start of the second flash bank (CONFIG_ENV_SIZE).
ENV_SIZE = 0x40000
FLASH_BANK_BYTES = 64 * 1024 * 1024
_FIRST_DEFAULT_VARIABLE = b"bootcmd="


class UbootEnvError(Exception):
    """The default environment cannot be found in the firmware binary."""


def _looks_like_variable(text: bytes) -> bool:
    name, sep, _ = text.partition(b"=")
    return bool(sep) and bool(name) and name.replace(b"_", b"").replace(b"#", b"").isalnum()


def default_environment(firmware: Path = UBOOT_QEMU_ARM64) -> dict[str, str]:
    """The NUL-separated 'name=value' block U-Boot falls back to when the flash copy is invalid.

    The flash copy replaces the default one instead of being merged into it, so every
    variable is kept and only the ones the caller changes differ.
    """
    data = firmware.read_bytes()
    at = data.find(_FIRST_DEFAULT_VARIABLE + b"run distro_bootcmd")
    if at < 0:
        raise UbootEnvError(f"{firmware}: no default environment (bootcmd=run distro_bootcmd) found")
    end = data.find(b"\0\0", at)
    start = at
    while start > 1:  # walk back over preceding variables, in case bootcmd is not the first
        previous = data.rfind(b"\0", 0, start - 1) + 1
        if not _looks_like_variable(data[previous:start - 1]):
            break
        start = previous
    env: dict[str, str] = {}
    for item in data[start:end].split(b"\0"):
        name, _, value = item.decode("latin-1").partition("=")
        env[name] = value
    if "bootdelay" not in env or "boot_targets" not in env:
        raise UbootEnvError(f"{firmware}: default environment lacks bootdelay/boot_targets ({len(env)} variables)")
    return env


def environment_image(env: dict[str, str]) -> bytes:
    """CRC32 (little endian) over the data, then 'name=value\\0'... '\\0', padded to ENV_SIZE."""
    body = b"".join(f"{k}={v}".encode("latin-1") + b"\0" for k, v in env.items()) + b"\0"
    if len(body) > ENV_SIZE - 4:
        raise UbootEnvError(f"environment of {len(body)} bytes exceeds {ENV_SIZE - 4}")
    body = body.ljust(ENV_SIZE - 4, b"\0")
    return zlib.crc32(body).to_bytes(4, "little") + body


def write_flash_bank(path: Path, env: dict[str, str]) -> Path:
    """A 64 MiB pflash bank (QEMU's size for virt) holding the environment at offset 0."""
    with path.open("wb") as f:
        f.write(environment_image(env))
        f.truncate(FLASH_BANK_BYTES)
    return path
