"""The command line's closing digest: FNV-1a 64 over every byte before the digest token, as boot.dt.chosen_bootargs recomputes it."""
from __future__ import annotations

from avps_cts.cmdline_digest import close_command_line, fnv1a64


def test_fnv1a64_known_vectors() -> None:
    assert fnv1a64("") == "cbf29ce484222325"
    assert fnv1a64("a") == "af63dc4c8601ec8c"


def test_digest_covers_everything_before_its_token() -> None:
    line = close_command_line("console=ttyAMA0 avps.cpus=2", "00112233aabbccdd")
    head, _, digest = line.rpartition(" avps.cmdline_digest=")
    assert head == "console=ttyAMA0 avps.cpus=2 avps.boot_nonce=00112233aabbccdd"
    assert digest == fnv1a64(head)


def test_a_declared_digest_replaces_the_computed_one() -> None:
    assert close_command_line("x", "00", "0123456789abcdef").endswith(" avps.cmdline_digest=0123456789abcdef")
