"""Host side of the virtio-input test: injects input events into the running QEMU through QMP when the guest asks."""
from __future__ import annotations

from typing import Any

from .qmp import QmpClient, QmpError

# What the guest may ask for ('AVPS-INPUT <nonce> <kind>') and the QMP InputEvent list it gets.
# Without a 'device' argument QEMU routes each event to the input handler that accepts its
# type: key -> virtio-keyboard, rel -> virtio-mouse, abs -> virtio-tablet.
INPUT_EVENTS: dict[str, list[dict[str, Any]]] = {
    "key": [{"type": "key", "data": {"down": True, "key": {"type": "qcode", "data": "a"}}},
            {"type": "key", "data": {"down": False, "key": {"type": "qcode", "data": "a"}}}],
    "rel": [{"type": "rel", "data": {"axis": "x", "value": 7}},
            {"type": "rel", "data": {"axis": "y", "value": -3}}],
    "abs": [{"type": "abs", "data": {"axis": "x", "value": 16384}},
            {"type": "abs", "data": {"axis": "y", "value": 8192}}],
}


class HostInput:
    """Answers 'AVPS-INPUT <nonce> <kind>' by injecting that kind of event."""

    def __init__(self, qmp: QmpClient) -> None:
        self.qmp = qmp
        self.injected: list[str] = []  # evidence: 'kind nonce' per successful injection

    def handle_request(self, arguments: str) -> str:
        """'<nonce> <kind>' -> 'AVPS-INPUT-REPLY <nonce> <kind> <events|error:...>'."""
        parts = arguments.split()
        if len(parts) != 2:
            return "AVPS-INPUT-REPLY ? ? malformed-request"
        nonce, kind = parts
        events = INPUT_EVENTS.get(kind)
        if events is None:
            return f"AVPS-INPUT-REPLY {nonce} {kind} error:unknown-kind"
        try:
            self.qmp.execute("input-send-event", {"events": events})
        except QmpError as exc:
            return f"AVPS-INPUT-REPLY {nonce} {kind} error:{str(exc).replace(' ', '_')[:80]}"
        self.injected.append(f"{kind} {nonce}")
        return f"AVPS-INPUT-REPLY {nonce} {kind} {len(events)}"
