"""Which VIRTIO statements belong in requirements/virtio-1.2.yaml: the scope filter, in one place.

The filter is applied to the rows of shared/avps/virtio-statements.tsv (label, side, n, keyword,
release, file, line).  It is used by the completeness test and documented in requirements/README.md.
"""
from __future__ import annotations

import csv
from pathlib import Path

# Sections of transports other than virtio-mmio.  No label in the TSV names a legacy-interface
# section of its own, so "outside legacy sections" removes nothing further; statements that
# speak about the legacy interface inside a kept section stay (their summary says so).
EXCLUDED_LABEL_PREFIXES: tuple[str, ...] = (
    "Virtio Transport Options / Virtio Over PCI Bus",
    "Virtio Transport Options / Virtio over channel I/O",
)
MUST_KEYWORDS = frozenset({"MUST", "MUST NOT"})
SHOULD_KEYWORDS = frozenset({"SHOULD", "SHOULD NOT"})
# SHOULD / SHOULD NOT are kept for the device types listed in shared/avps/areas.md (every
# device chapter that has device-side SHOULD statements is listed there).
SHOULD_DEVICE_TYPES: frozenset[str] = frozenset({
    "Block Device", "SCSI Host Device", "Network Device", "Socket Device", "GPU Device",
    "IOMMU Device", "CAN Device", "SCMI Device", "GPIO Device", "Sound Device", "Media Device",
    "Entropy Device", "RPMB Device", "Crypto Device", "Console Device", "File System Device",
    "Input Device", "Memory Balloon Device", "Memory Device", "PMEM Device", "I2C Adapter Device",
    "RTC Device", "SPI Controller Device",
})
RELEASES = {"1.2-cs01": "1.2", "1.4-cs01": "1.4"}
EXPECTED_MUST_COUNT = 376  # stated in shared/avps/README.md


def device_type(label: str) -> str:
    """Group a VIRTIO label for coverage: the device type, or the common chapter it belongs to."""
    parts = label.split(" / ")
    if parts[0] == "Device Types" and len(parts) > 1:
        return parts[1]
    if parts[0] == "Virtio Transport Options" and len(parts) > 1:
        return parts[1]  # e.g. "Virtio Over MMIO"
    return parts[0]  # "Basic Facilities of a Virtio Device", "Reserved Feature Bits"


def in_scope(label: str, side: str, keyword: str) -> bool:
    if side != "device":
        return False
    if keyword in MUST_KEYWORDS:
        return not label.startswith(EXCLUDED_LABEL_PREFIXES)
    if keyword in SHOULD_KEYWORDS:
        parts = label.split(" / ")
        return parts[0] == "Device Types" and len(parts) > 1 and parts[1] in SHOULD_DEVICE_TYPES
    return False


def statement_id(release: str, label: str, n: int | str) -> str:
    """Canonical ID: ``VIRTIO-<1.2|1.4>: <label> #<n>`` (device side implied)."""
    return f"VIRTIO-{RELEASES.get(release, release)}: {label} #{n}"


def read_statements_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def expected_statements(path: Path) -> dict[str, dict[str, str]]:
    """The in-scope rows of the TSV, keyed by canonical ID."""
    out: dict[str, dict[str, str]] = {}
    for row in read_statements_tsv(path):
        if in_scope(row["label"], row["side"], row["keyword"]):
            out[statement_id(row["release"], row["label"], row["n"])] = row
    return out
