"""Areas the default platform leaves out pass their behavioural cases on the profiles that offer them (GPIO/I2C on the reference models, IOMMU on QEMU's virtio-iommu-pci)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# profile -> cases that must pass there (each has a control that makes it fail, in harness/profiles/qemu-arm64.yaml)
OFFERED = {
    "vhost-user-gpio-i2c": ["virtio.gpio.device_present", "virtio.gpio.lines_and_names",
                            "virtio.gpio.output_seen_on_partner", "virtio.i2c.device_present",
                            "virtio.i2c.write_then_read_back", "virtio.i2c.absent_address_refused",
                            "virtio.i2c.zero_length_request"],
    "virtio-iommu": ["virtio.iommu.device_present", "virtio.iommu.endpoint_dma_through_iommu"],
}


@pytest.mark.parametrize("profile", sorted(OFFERED))
def test_offered_area_cases_pass(profile: str, qemu_ready: Path, repo: Path, tmp_path: Path) -> None:
    program_globs = sorted({".".join(case.split(".")[:2]) + ".*" for case in OFFERED[profile]})
    command = [sys.executable, "-m", "avps_cts", "run", "--target", "qemu-arm64", "--profile", profile,
               "--no-probes", "--reports", str(tmp_path)]
    for glob in program_globs:
        command += ["--case", glob]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=repo, timeout=1800,
                          env={"PYTHONPATH": str(repo / "harness"), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"})
    assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-2000:]
    (results,) = tmp_path.glob("*/results.json")
    status = {c["case_id"]: (c["status"], c["detail"]) for c in json.loads(results.read_text())["cases"]}
    for case in OFFERED[profile]:
        assert status.get(case, ("not run", ""))[0] == "pass", f"{profile}: {case} {status.get(case)}"
