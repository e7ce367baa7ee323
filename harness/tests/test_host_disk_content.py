"""Host-judged durability: the host finds (or not) in its disk image what the guest wrote, and never erases a guest failure."""
from __future__ import annotations

import struct
from pathlib import Path

from avps_cts.host import disk_content as host_disk_content
from avps_cts.results import CaseResult, Status

NONCE = "0123456789abcdef"
CASE = "virtio.blk.data_integrity"
LINES = ["    KTAP version 1", f"    # host-disk-check: {CASE} nonce={NONCE} bytes=4096 at=0,1048576",
         "    ok 1 global.data_integrity"]


def test_pattern_matches_the_guest_vectors() -> None:
    # The same words guest-tests/lib/tests/test_disk_pattern.c pins for the guest's fill_pattern.
    words = struct.unpack("<4Q", host_disk_content.disk_pattern(0x0123456789ABCDEF, 4096, 32))
    assert words == (0xA852E0696704C314, 0x1396AE29D1F88FBA, 0xA1A2EC2B6B90D21D, 0x61684C3640A4D0D1)


def image(tmp_path: Path, written: bool) -> Path:
    path = tmp_path / "blk0.img"
    with path.open("wb") as f:
        f.truncate(2 << 20)
        if written:
            for offset in (0, 1 << 20):
                f.seek(offset)
                f.write(host_disk_content.disk_pattern(int(NONCE, 16), offset, 4096))
    return path


def judged(status: Status, evidence: dict | None) -> tuple[CaseResult, list[str]]:
    case, problems = CaseResult(CASE, status, ["AVPS.STORAGE.1"], program="virtio.blk"), []
    host_disk_content.apply([case], LINES, evidence, problems)
    return case, problems


def test_data_in_the_image_keeps_the_guest_pass(tmp_path: Path) -> None:
    evidence = host_disk_content.observe(LINES, {NONCE: image(tmp_path, True)})
    case, problems = judged(Status.PASS, evidence)
    assert case.status is Status.PASS and problems == []
    assert "host read 2 x 4096 bytes back from blk0.img" in case.detail


def test_data_missing_from_the_image_fails_with_the_reason(tmp_path: Path) -> None:
    evidence = host_disk_content.observe(LINES, {NONCE: image(tmp_path, False)})
    case, _ = judged(Status.PASS, evidence)
    assert case.status is Status.FAIL
    assert "blk0.img at byte 0: 4096 bytes the guest wrote are not in the disk image, it holds zeroes" in case.detail


def test_a_guest_failure_is_never_erased(tmp_path: Path) -> None:
    case, _ = judged(Status.FAIL, host_disk_content.observe(LINES, {NONCE: image(tmp_path, True)}))
    assert case.status is Status.FAIL


def test_no_host_reading_is_never_a_pass() -> None:
    case, _ = judged(Status.PASS, None)
    assert case.status is Status.NOT_RUN and "no evidence" in case.detail


def test_a_nonce_the_host_did_not_issue_gives_no_evidence(tmp_path: Path) -> None:
    evidence = host_disk_content.observe(LINES, {"ffffffffffffffff": image(tmp_path, True)})
    case, _ = judged(Status.PASS, evidence)
    assert case.status is Status.NOT_RUN and "was not issued by the host" in case.detail


def test_an_unknown_case_is_a_problem() -> None:
    problems: list[str] = []
    host_disk_content.apply([], LINES, {}, problems)
    assert problems == [f"host-disk-check names unknown case {CASE}"]


def test_a_request_while_running_says_what_the_image_holds_now(tmp_path: Path) -> None:
    images = {NONCE: image(tmp_path, True)}
    assert host_disk_content.handle_request(f"{NONCE} 4096 1048576", images) == "AVPS-DISK-REPLY 1048576 match"
    assert host_disk_content.handle_request(f"{NONCE} 4096 8192", images) == "AVPS-DISK-REPLY 8192 zeroes"
    assert host_disk_content.handle_request("ffffffffffffffff 4096 0", images) == "AVPS-DISK-REPLY 0 unknown-nonce"
    assert host_disk_content.handle_request("../etc 4096 0", images) == "AVPS-DISK-REPLY ? refused"
    assert host_disk_content.handle_request(f"{NONCE} 4095 0", images) == "AVPS-DISK-REPLY 0 refused"
