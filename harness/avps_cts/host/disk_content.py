"""Host-judged durability: after the guest powered off, the host reads the disk image and checks that what the guest wrote is there.

The guest writes a pattern derived from a nonce the host gave it (avps.<key>={nonce:DISK}) and
names the regions in one line per case:
    # host-disk-check: <case> nonce=<16 hex> bytes=<region length> at=<offset>,<offset>,...
The target reads those regions from its image file of DISK once the platform stopped
(observe) and the case passes only when the guest passed and every region holds the pattern
(apply). The pattern is guest-tests/virtio/blk.c's fill_pattern, regenerated here from the
nonce, so a guest cannot vouch for its own data.
"""
from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Mapping, Sequence

from ..ktap import clean_line
from ..results import CaseResult, Status

_LINE = re.compile(r"host-disk-check: (?P<case>[a-z0-9_.]+) nonce=(?P<nonce>[0-9a-f]+) bytes=(?P<bytes>\d+) "
                   r"at=(?P<at>[\d,]+)")
_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MAX_REGION = 16 << 20


def disk_pattern(seed: int, offset: int, length: int) -> bytes:
    """The bytes the guest writes at offset: xorshift64 from seed ^ offset*golden, each word ^ its offset."""
    x = (seed ^ (offset * _GOLDEN)) & _MASK
    words = []
    for i in range(length // 8):
        x ^= (x << 13) & _MASK
        x ^= x >> 7
        x ^= (x << 17) & _MASK
        words.append(x ^ ((offset + i * 8) & _MASK))
    return struct.pack(f"<{len(words)}Q", *words)


def requests(lines: Sequence[str]) -> list[dict[str, object]]:
    """Every host-disk-check line of a boot, parsed."""
    found = []
    for line in lines:
        match = _LINE.search(clean_line(line))
        if match:
            found.append({"case": match.group("case"), "nonce": match.group("nonce"),
                          "bytes": int(match.group("bytes")),
                          "at": [int(a) for a in match.group("at").split(",") if a]})
    return found


def _describe(data: bytes) -> str:
    if not data.strip(b"\0"):
        return "zeroes"
    return f"other data (first bytes {data[:8].hex()})"


def _region_state(image: Path, nonce: str, offset: int, length: int) -> str:
    """'match', or what the image holds instead ('zeroes' / 'other data (...)')."""
    with image.open("rb") as f:
        f.seek(offset)
        data = f.read(length)
    return "match" if data == disk_pattern(int(nonce, 16), offset, length) else _describe(data)


def handle_request(arguments: str, images: Mapping[str, Path]) -> str:
    """'AVPS-DISK <nonce> <bytes> <offset>' while the platform runs (e.g. right after a guest's
    FLUSH completed) -> 'AVPS-DISK-REPLY <offset> match|zeroes|other data (...)|unknown-nonce|refused'.
    The host says what its image holds now; the guest gives the verdict."""
    parts = arguments.split()
    if len(parts) != 3 or not all(p.isalnum() for p in parts) or not parts[1].isdigit() or not parts[2].isdigit():
        return "AVPS-DISK-REPLY ? refused"
    nonce, length, offset = parts[0], int(parts[1]), int(parts[2])
    image = images.get(nonce)
    if image is None:
        return f"AVPS-DISK-REPLY {offset} unknown-nonce"
    if length <= 0 or length % 8 or length > _MAX_REGION:
        return f"AVPS-DISK-REPLY {offset} refused"
    try:
        return f"AVPS-DISK-REPLY {offset} {_region_state(image, nonce, offset, length)}"
    except (OSError, ValueError):
        return f"AVPS-DISK-REPLY {offset} refused"


def observe(lines: Sequence[str], images: Mapping[str, Path]) -> dict[str, dict[str, object]]:
    """What the host finds in its disk images (nonce -> image file) for each host-disk-check line."""
    evidence: dict[str, dict[str, object]] = {}
    for req in requests(lines):
        case, nonce, length = str(req["case"]), str(req["nonce"]), int(req["bytes"])  # type: ignore[call-overload]
        image = images.get(nonce)
        seen: dict[str, object] = {"nonce": nonce, "regions": len(req["at"]), "bytes": length}  # type: ignore[arg-type]
        evidence[case] = seen
        if image is None:
            seen["error"] = f"nonce {nonce} was not issued by the host for any disk image"
            continue
        seen["image"] = image.name
        if length <= 0 or length % 8 or length > _MAX_REGION:
            seen["error"] = f"region length {length} is not a multiple of 8 up to {_MAX_REGION}"
            continue
        try:
            for offset in req["at"]:  # type: ignore[union-attr]
                state = _region_state(image, nonce, offset, length)
                if state != "match":
                    seen["mismatch"] = (f"{image.name} at byte {offset}: {length} bytes the guest wrote are "
                                        f"not in the disk image, it holds {state}")
                    break
        except OSError as exc:
            seen["error"] = f"cannot read {image}: {exc}"
    return evidence


def apply(cases: list[CaseResult], lines: Sequence[str], evidence: Mapping[str, object] | None,
          problems: list[str]) -> None:
    """Combines each host-disk-check case's guest verdict with the host's reading (in place):
    pass only when both hold; a guest failure is never erased."""
    by_id = {c.case_id: c for c in cases}
    for req in requests(lines):
        case = by_id.get(str(req["case"]))
        if case is None:
            problems.append(f"host-disk-check names unknown case {req['case']}")
            continue
        seen = (evidence or {}).get(case.case_id)
        if not isinstance(seen, dict) or "error" in seen:
            why = seen["error"] if isinstance(seen, dict) else "no host reading of the disk image is available here"
            note = f"host: no evidence that the written data reached the disk image ({why})"
            if case.status is Status.PASS:
                case.status = Status.NOT_RUN
                case.detail = note
            else:
                case.detail = "; ".join(d for d in (case.detail, note) if d)
        elif "mismatch" in seen:
            note = f"host read the disk image after power-off: {seen['mismatch']}"
            if case.status is Status.PASS:
                case.status, case.detail = Status.FAIL, note
            else:
                case.detail = "; ".join(d for d in (case.detail, note) if d)
        else:
            note = f"host read {seen['regions']} x {seen['bytes']} bytes back from {seen.get('image')} after power-off"
            case.detail = "; ".join(d for d in (case.detail, note) if d)
