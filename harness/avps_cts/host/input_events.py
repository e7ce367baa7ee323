"""Host side of the virtio-input test: injects input events when the guest asks, into a reference input model
served over vhost-user (its back end's control socket) or into QEMU's own virtio-input devices (QMP)."""
from __future__ import annotations

from typing import Any, Sequence

from .qmp import QmpClient, QmpError
from .vhost_user import VhostUserBackend

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
    """Answers 'AVPS-INPUT <nonce> <kind>' by injecting that kind of event. A reference input model
    (reference-hv/devices/model_input.c) served over vhost-user takes the same kind names itself
    (its back end's host requests: a keyboard takes 'key', a mouse 'rel', a tablet 'abs' and injects
    the same events); QEMU's input-send-event never reaches such a device, so the back ends come first
    and QMP serves the kinds none of them takes."""

    def __init__(self, qmp: QmpClient | None, backends: Sequence[VhostUserBackend] = ()) -> None:
        self.qmp = qmp
        self.backends = [b for b in backends if b.spec.model == "input"]
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
        outcome = self._through_backends(kind)
        if outcome is None:
            outcome = self._through_qmp(events)
        if not outcome.startswith("error:"):
            self.injected.append(f"{kind} {nonce}")
        return f"AVPS-INPUT-REPLY {nonce} {kind} {outcome}"

    def _through_backends(self, kind: str) -> str | None:
        """The model's answer (events queued, or error:...) from the first back end that takes kind; None when none does."""
        for backend in self.backends:
            taken, reply = backend.host_request(kind)
            if taken:
                return reply.replace(" ", "_") or "error:empty-reply"
        return None

    def _through_qmp(self, events: list[dict[str, Any]]) -> str:
        if self.qmp is None:
            return "error:no-input-device-takes-this-kind"
        try:
            self.qmp.execute("input-send-event", {"events": events})
        except QmpError as exc:
            return f"error:{str(exc).replace(' ', '_')[:80]}"
        return str(len(events))
