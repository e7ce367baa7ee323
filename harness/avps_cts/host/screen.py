"""Host side of the virtio-gpu scan-out test: dumps the guest's screen through QMP and reports what a pixel shows."""
from __future__ import annotations

from pathlib import Path

from .qmp import QmpClient, QmpError


def ppm_size_and_pixel(data: bytes, x: int, y: int) -> tuple[int, int, bytes]:
    """Width, height and the RGB bytes at (x, y) of a binary (P6, maxval 255) PPM image."""
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:  # magic, width, height, maxval; '#' comments allowed between
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while end < len(data) and not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError(f"not a P6/255 PPM: {fields[0]!r} maxval {fields[3]!r}")
    width, height = int(fields[1]), int(fields[2])
    pixels = pos + 1
    if not (0 <= x < width and 0 <= y < height):
        raise ValueError(f"pixel ({x},{y}) outside {width}x{height}")
    offset = pixels + 3 * (y * width + x)
    return width, height, data[offset:offset + 3]


class HostScreen:
    """Answers 'AVPS-SCREEN <nonce> <x> <y>' with the screen size and that pixel's colour."""

    def __init__(self, qmp: QmpClient, scratch: Path) -> None:
        self.qmp = qmp
        self.dump = scratch / "screendump.ppm"
        self.seen: list[str] = []  # evidence

    def handle_request(self, arguments: str) -> str:
        """-> 'AVPS-SCREEN-REPLY <nonce> <w>x<h> <rrggbb>' or '... error:<why>'."""
        parts = arguments.split()
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            return "AVPS-SCREEN-REPLY ? malformed-request"
        nonce, x, y = parts[0], int(parts[1]), int(parts[2])
        try:
            self.dump.unlink(missing_ok=True)
            self.qmp.execute("screendump", {"filename": str(self.dump)})
            width, height, rgb = ppm_size_and_pixel(self.dump.read_bytes(), x, y)
        except (OSError, QmpError, ValueError, IndexError) as exc:
            return f"AVPS-SCREEN-REPLY {nonce} error:{str(exc).replace(' ', '_')[:80]}"
        answer = f"{nonce} {width}x{height} {rgb.hex()}"
        self.seen.append(answer)
        return f"AVPS-SCREEN-REPLY {answer}"
