"""The VIRTIO layer holds exactly the in-scope statements of shared/avps/virtio-statements.tsv."""
from __future__ import annotations

from pathlib import Path

import pytest

from avps_cts.catalogue import load_catalogue
from avps_cts.catalogue.loader import REPO_ROOT
from avps_cts.catalogue.scope import EXPECTED_MUST_COUNT, RELEASES, expected_statements

TSV = REPO_ROOT.parent / "shared" / "avps" / "virtio-statements.tsv"


@pytest.fixture(scope="module")
def expected() -> dict[str, dict[str, str]]:
    if not TSV.is_file():
        pytest.skip(f"{TSV} is absent (CI keeps shared/ beside the clone); cannot check completeness")
    return expected_statements(TSV)


def test_must_scope_count(expected: dict[str, dict[str, str]]) -> None:
    musts = [r for r in expected.values() if r["keyword"] in ("MUST", "MUST NOT")]
    assert len(musts) == EXPECTED_MUST_COUNT


def test_nothing_missing_nothing_invented(expected: dict[str, dict[str, str]]) -> None:
    cat = load_catalogue()
    missing = sorted(set(expected) - set(cat.virtio))
    invented = sorted(set(cat.virtio) - set(expected))
    assert not missing, f"{len(missing)} TSV statements missing from the VIRTIO layer, e.g. {missing[:5]}"
    assert not invented, f"{len(invented)} statements not in the TSV scope, e.g. {invented[:5]}"


def test_fields_agree_with_tsv(expected: dict[str, dict[str, str]]) -> None:
    cat = load_catalogue()
    for rid, row in expected.items():
        st = cat.virtio[rid]
        assert (st.label, st.n, st.keyword, st.release) == (row["label"], int(row["n"]), row["keyword"], row["release"]), rid
        assert st.source == f"{row['file']}:{row['line']}", rid
        assert RELEASES[st.release] == rid.split(":")[0].removeprefix("VIRTIO-")


def test_summaries_are_one_line_and_distinct_from_spec_wording() -> None:
    cat = load_catalogue()
    for st in cat.virtio.values():
        assert "\n" not in st.summary and len(st.summary) < 200, st.id
        assert "The device MUST" not in st.summary, st.id


def test_back_references() -> None:
    cat = load_catalogue()
    for st in cat.virtio.values():
        if not st.label.startswith("Device Types /"):
            assert st.avps == ("AVPS.VIRTIO.1",), st.id
    blk = [s for s in cat.virtio.values() if s.device_type == "Block Device"]
    assert blk and all(s.avps == ("AVPS.STORAGE.1",) for s in blk)
