"""Host side of the probe's free page hinting cases on QEMU: a live migration to a null sink, started and cancelled over QMP when the guest asks, so a virtio-balloon with free-page-hint=on runs hinting rounds."""
from __future__ import annotations

import time

from .qmp import QmpClient, QmpError

# QEMU 7.2 starts a hinting round (a fresh free_page_hint_cmd_id) after each dirty-bitmap sync of a
# precopy migration while the VM runs, and reports DONE when the migration is cleaned up (cancelled).
# A null sink at 32 KiB/s keeps the first pass over the guest's RAM going for minutes (even its zero
# pages cost a few bytes each), so no second sync, no completion and no pause happen in a case's time.
SINK = "exec:cat > /dev/null"
BANDWIDTH_BYTES_S = 32 * 1024
SETTLE_S = 5.0


class HostMigration:
    """Answers 'AVPS-MIGRATE <nonce> start|cancel': starts a migration to a null sink, or cancels the
    running one and waits until QEMU has cleaned it up (the VM keeps running throughout)."""

    def __init__(self, qmp: QmpClient) -> None:
        self.qmp = qmp
        self.requested: list[str] = []  # evidence: 'nonce action status' per request served

    def _status(self) -> str:
        return str((self.qmp.execute("query-migrate") or {}).get("status", "none"))

    def _wait_status(self, wanted: set[str]) -> str:
        deadline = time.monotonic() + SETTLE_S
        status = self._status()
        while status not in wanted and time.monotonic() < deadline:
            time.sleep(0.02)
            status = self._status()
        return status

    def _start(self) -> str:
        if self._status() in ("setup", "active", "cancelling"):
            return "error:migration-running"
        self.qmp.execute("migrate-set-parameters", {"max-bandwidth": BANDWIDTH_BYTES_S})
        self.qmp.execute("migrate", {"uri": SINK})
        status = self._wait_status({"active", "failed", "completed"})
        return "ok" if status == "active" else f"error:migration-{status}"

    def _cancel(self) -> str:
        if self._status() not in ("setup", "active"):
            return "error:no-migration-running"
        self.qmp.execute("migrate_cancel")
        status = self._wait_status({"cancelled", "failed", "completed"})
        if (self.qmp.execute("query-status") or {}).get("status") != "running":
            self.qmp.execute("cont")   # a migration that completed after all left the VM paused
        return "ok" if status == "cancelled" else f"error:migration-{status}"

    def handle_request(self, arguments: str) -> str:
        """'<nonce> start|cancel' -> 'AVPS-MIGRATE-REPLY <nonce> <action> <ok|error:...>'."""
        parts = arguments.split()
        if len(parts) != 2 or parts[1] not in ("start", "cancel"):
            return "AVPS-MIGRATE-REPLY ? ? malformed-request"
        nonce, action = parts
        try:
            result = self._start() if action == "start" else self._cancel()
        except QmpError as exc:
            result = f"error:{str(exc).replace(' ', '_')[:80]}"
        self.requested.append(f"{nonce} {action} {result}")
        return f"AVPS-MIGRATE-REPLY {nonce} {action} {result}"
