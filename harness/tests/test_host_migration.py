"""The host's migration service (AVPS-MIGRATE): its QMP commands and replies, and on real QEMU the free page hinting cases running against QEMU's own hinting rounds."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from avps_cts.host.migration import BANDWIDTH_BYTES_S, SINK, HostMigration
from avps_cts.host.qmp import QmpError

HINT_CASES = ("virtio.balloon.hint_cmd_id_not_reused_without_stop", "virtio.balloon.hint_stale_id_pages_ignored",
              "virtio.balloon.hinted_pages_untouched_after_done")


class MigratingMonitor:
    """Answers like QEMU's monitor: query-migrate walks through `statuses`, query-status says `vm`."""

    def __init__(self, statuses: list[str], vm: str = "running", error: str | None = None) -> None:
        self.commands: list[tuple[str, Any]] = []
        self.statuses = statuses
        self.vm = vm
        self.error = error

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        self.commands.append((command, arguments))
        if self.error and command == "migrate":
            raise QmpError(self.error)
        if command == "query-migrate":
            return {"status": self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]}
        if command == "query-status":
            return {"status": self.vm}
        return {}


def service(monitor: MigratingMonitor) -> HostMigration:
    return HostMigration(monitor)  # type: ignore[arg-type]


def test_start_throttles_and_migrates_to_the_null_sink() -> None:
    monitor = MigratingMonitor(["none", "setup", "active"])
    host = service(monitor)
    assert host.handle_request("4 start") == "AVPS-MIGRATE-REPLY 4 start ok"
    sent = [c for c in monitor.commands if c[0] != "query-migrate"]
    assert sent == [("migrate-set-parameters", {"max-bandwidth": BANDWIDTH_BYTES_S}), ("migrate", {"uri": SINK})]
    assert host.requested == ["4 start ok"]


def test_start_refuses_a_second_migration_and_reports_qmp_errors() -> None:
    assert service(MigratingMonitor(["active"])).handle_request("5 start") == \
        "AVPS-MIGRATE-REPLY 5 start error:migration-running"
    refused = service(MigratingMonitor(["none"], error="State blocked by non-migratable device"))
    assert refused.handle_request("6 start") == "AVPS-MIGRATE-REPLY 6 start error:State_blocked_by_non-migratable_device"
    assert service(MigratingMonitor(["none"])).handle_request("7 jump") == "AVPS-MIGRATE-REPLY ? ? malformed-request"


def test_cancel_waits_for_the_cleanup_and_resumes_a_paused_vm() -> None:
    monitor = MigratingMonitor(["active", "cancelling", "cancelled"])
    host = service(monitor)
    assert host.handle_request("8 cancel") == "AVPS-MIGRATE-REPLY 8 cancel ok"
    assert ("migrate_cancel", None) in monitor.commands and ("cont", None) not in monitor.commands
    paused = MigratingMonitor(["active", "completed"], vm="postmigrate")
    assert service(paused).handle_request("9 cancel") == "AVPS-MIGRATE-REPLY 9 cancel error:migration-completed"
    assert ("cont", None) in paused.commands
    assert service(MigratingMonitor(["cancelled"])).handle_request("10 cancel") == \
        "AVPS-MIGRATE-REPLY 10 cancel error:no-migration-running"


def test_free_page_hinting_cases_pass_against_qemu_hinting_rounds(qemu_ready: Path, repo: Path, tmp_path: Path) -> None:
    """QEMU 7.2 starts a round only while it migrates: the cases ask the host for a migration and pass on QEMU's
    own rounds (no SKIP), the balloon's other cases still pass with free-page-hint on."""
    proc = subprocess.run([sys.executable, "-m", "avps_cts", "run", "--target", "qemu-arm64", "--profile",
                           "balloon-free-page-hint", "--only", "virtio-mmio", "--case", "virtio.balloon.*",
                           "--reports", str(tmp_path)], cwd=repo, capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(repo / "harness"), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"})
    (report,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    cases = {c["case_id"]: c for c in json.loads((report / "results.json").read_text())["cases"]}
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {case: cases[case]["status"] for case in HINT_CASES} == {case: "pass" for case in HINT_CASES}, cases
    assert cases["virtio.balloon.stats_any_order_unknown_ignored"]["status"] == "pass"
