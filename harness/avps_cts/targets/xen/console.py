"""Xen serial console demultiplexer: '(XEN) DOMn:' lines into one plain stream per domain, Xen's own lines apart."""
from __future__ import annotations

import dataclasses
import re

# Xen 4.17's vpl011 buffers a domU's output and prints it line by line through printk as
# 'DOMn: <text>'. A full buffer is 126 bytes of guest output (a Linux guest's own '\r'
# counts): a longer line comes out as pieces of exactly 126 bytes, each on its own
# '(XEN) DOMn: ' line, the last piece shorter (possibly empty). Xen's serial driver ends
# every line with '\r\n'. Measured here with Xen 4.17.7 (harness/XEN.md, XEN-NOTES §6).
XEN_CHUNK = 126

_DOMAIN_LINE = re.compile(r"^\(XEN\) DOM(?P<domid>\d+):(?: (?P<text>.*))?$")
_XEN_LINE = re.compile(r"^\(XEN\) ?(?P<text>.*)$")
_FOCUS = re.compile(r"\*\*\* Serial input to (?:DOM(?P<domid>\d+)|Xen)")


@dataclasses.dataclass(frozen=True)
class ConsoleLine:
    """One complete line: domain is the domU id, or None for Xen's own (and QEMU's) lines."""

    domain: int | None
    text: str


class XenConsoleDemux:
    """Feed raw serial lines in arrival order; get complete per-domain lines back.

    A domain that has the console input focus prints raw, without the prefix: such
    lines go to the focused domain. Xen's own lines (and anything before Xen's
    banner, e.g. QEMU's messages) come back with domain None.
    """

    def __init__(self, domains: set[int] | None = None, chunk: int = XEN_CHUNK) -> None:
        self.domains = domains  # known domU ids; None accepts any
        self.chunk = chunk
        self.focus: int | None = None  # None: Xen (or the absent dom0) has the input
        self._partial: dict[int, str] = {}

    def _known(self, domid: int) -> bool:
        return self.domains is None or domid in self.domains

    def feed(self, raw: str) -> list[ConsoleLine]:
        """raw: one console line as received, up to its line feed; a trailing CR is Xen's own."""
        raw = raw.rstrip("\n")
        if raw.endswith("\r"):
            raw = raw[:-1]
        match = _DOMAIN_LINE.match(raw)
        if match:
            domid = int(match.group("domid"))
            piece = match.group("text") or ""
            text = self._partial.pop(domid, "") + piece
            if len(piece) >= self.chunk:
                self._partial[domid] = text  # the rest of this line comes next
                return []
            return [ConsoleLine(domid, text.replace("\r", ""))]
        line = raw.replace("\r", "")
        xen = _XEN_LINE.match(line)
        if xen:
            focus = _FOCUS.search(line)
            if focus:
                domid = int(focus.group("domid")) if focus.group("domid") else None
                self.focus = domid if domid is not None and domid != 0 and self._known(domid) else None
            return [ConsoleLine(None, xen.group("text"))]
        if self.focus is not None:
            return [ConsoleLine(self.focus, line)]
        return [ConsoleLine(None, line)]

    def flush(self) -> list[ConsoleLine]:
        """Pieces still waiting for their continuation when the console ended."""
        out = [ConsoleLine(domid, text.replace("\r", "")) for domid, text in sorted(self._partial.items())]
        self._partial.clear()
        return out
