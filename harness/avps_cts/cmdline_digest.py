"""The kernel command line's closing tokens: a per-run nonce and a digest of every byte before the digest, for boot.dt.chosen_bootargs."""
from __future__ import annotations

import secrets


def fnv1a64(text: str) -> str:
    """FNV-1a 64 of the text's UTF-8 bytes, 16 hex digits (guest-tests/boot/dt.c computes the same)."""
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def new_nonce() -> str:
    return secrets.token_hex(8)


def close_command_line(text: str, nonce: str, declared_digest: str | None = None) -> str:
    """text + ' avps.boot_nonce=N avps.cmdline_digest=D', D digesting everything before ' avps.cmdline_digest='.
    A control may declare another digest (declared_digest): a lie about a host fact."""
    text = f"{text} avps.boot_nonce={nonce}"
    return f"{text} avps.cmdline_digest={declared_digest or fnv1a64(text)}"
