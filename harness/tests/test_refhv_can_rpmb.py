"""The CAN, RPMB, RTC, media, balloon and file-system reference models on refhv: every statement case of the virtio-mmio probe for them (for the balloon: its free page hinting cases) passes on the virtio-can-rpmb profile (one boot)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from avps_cts import profiles
from avps_cts.targets.base import BootImage
from avps_cts.targets.refhv.driver import RefhvTarget
from avps_cts.manifest import load as load_manifest

REPO = Path(__file__).resolve().parents[2]


def test_can_rpmb_rtc_media_balloon_hint_and_fs_cases_pass_on_the_reference_models(qemu_ready: Path, tmp_path: Path) -> None:
    subprocess.run(["make", "-s", "-C", str(REPO), "refhv"], check=True)
    wanted = sorted(c.case_id for c in load_manifest(qemu_ready).cases
                    if c.case_id.startswith(("virtio.can.", "virtio.rpmb.", "virtio.rtc.", "virtio.media.", "virtio.balloon.hint",
                                             "virtio.fs."))
                    and c.program == "virtio-mmio")
    assert len(wanted) >= 41 + 9 + 3, wanted
    assert sum(case.startswith("virtio.balloon.hint") for case in wanted) == 3, wanted
    assert sum(case.startswith("virtio.media.") for case in wanted) == 9, wanted
    assert sum(case.startswith("virtio.fs.") for case in wanted) == 5, wanted
    target = RefhvTarget(profiles.load("refhv", "virtio-can-rpmb"), tmp_path / "run" / "refhv")
    out = target.boot(BootImage(kind="probe", kernel=qemu_ready / "probes" / "virtio-mmio.img", name="virtio-mmio"),
                      tmp_path / "console-virtio-mmio.log")
    assert out.host_evidence["shutdown_reason"] == "guest-shutdown", out.problems
    results = {m.group(2): m.group(1) for m in (re.match(r"\s*(ok|not ok) \d+ (\S+)", line) for line in out.lines) if m}
    skipped = [line for line in out.lines if "# SKIP" in line and any(case in line for case in wanted)]
    assert {case: results.get(case) for case in wanted} == {case: "ok" for case in wanted}
    assert skipped == []
    # virtio.mmio.ids knows the RTC device's virtqueues (requestq, alarmq with VIRTIO_RTC_F_ALARM) and checks them.
    assert results.get("virtio.mmio.ids") == "ok"
    assert any(re.search(r": DeviceID 17 VendorID ", line) for line in out.lines)
    assert not any("DeviceID 17: virtqueue count not known" in line for line in out.lines)
