"""check-spec on the project's own spec-like texts (clean, reordered, missing, extra, PDF)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from avps_cts.catalogue import load_catalogue
from avps_cts.catalogue.check_spec import main, match_spec, parse_spec_text
from avps_cts.catalogue.loader import DEFAULT_AVPS

DATA = Path(__file__).parent / "data" / "spec"


def _match(name: str):
    cat = load_catalogue()
    return match_spec(cat.avps, parse_spec_text((DATA / name).read_text()))


def _labels(result) -> dict[str, list[str | None]]:
    return {k: [s.label for s in v] for k, v in result.matches.items()}


def test_clean_matches_every_entry_once() -> None:
    r = _match("clean.txt")
    assert r.ok
    assert all(len(v) == 1 for v in r.matches.values())
    lab = _labels(r)
    assert lab["AVPS.BOOT.1"] == ["XR-BOOT-1"] and lab["AVPS.BOOT.2"] == ["XR-BOOT-2"]
    assert lab["AVPS.NET.2"] == ["XR-NET-2"] and lab["AVPS.POWER.2"] == ["XR-PWR-2"]
    assert lab["AVPS.CANXL.1"] == ["XR-CANXL-1"] and lab["AVPS.CAN.1"] == ["XR-CAN-1"]
    assert lab["AVPS.HWEMU.1"] == ["XR-HWE-1"] and lab["AVPS.VIRTIO.1"] == ["XR-DEV-1"]


def test_discussion_and_toc_are_not_requirements() -> None:
    secs = parse_spec_text((DATA / "clean.txt").read_text())
    texts = [s.text for sec in secs for s in sec.statements]
    assert not any("discussion, not a requirement" in t for t in texts)
    assert len(texts) == 32


def test_reordered_gives_same_matches() -> None:
    assert _labels(_match("reordered.txt")) == _labels(_match("clean.txt"))


def test_missing_requirement_is_reported() -> None:
    r = _match("missing.txt")
    assert r.unmatched_entries == ["AVPS.LIN.1"] and not r.unmatched_statements


def test_extra_requirement_is_reported() -> None:
    r = _match("extra.txt")
    assert [s.label for s in r.unmatched_statements] == ["XR-TIME-1"] and not r.unmatched_entries


def test_cli_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(DATA / "clean.txt")]) == 0
    assert main([str(DATA / "missing.txt")]) == 1
    assert "unmatched entry AVPS.LIN.1" in capsys.readouterr().out
    assert main([str(DATA / "does-not-exist.txt")]) == 2


def test_write_fills_labels_and_keeps_the_rest(tmp_path: Path) -> None:
    avps = tmp_path / "avps-v2.0.yaml"
    original = DEFAULT_AVPS.read_text()
    avps.write_text(original)
    assert main([str(DATA / "missing.txt"), "--write", "--catalogue", str(avps)]) == 1
    cat = load_catalogue(avps)
    assert cat.avps["AVPS.STORAGE.1"].spec_label == "XR-STOR-1" and cat.avps["AVPS.STORAGE.1"].verified
    assert cat.avps["AVPS.LIN.1"].spec_label is None and not cat.avps["AVPS.LIN.1"].verified
    new = avps.read_text()
    changed = [(a, b) for a, b in zip(original.splitlines(), new.splitlines()) if a != b]
    assert len(original.splitlines()) == len(new.splitlines())
    assert len(changed) == 2 * 31  # spec_label and verified lines of the 31 matched entries, nothing else
    assert all(a.strip().startswith(("spec_label:", "verified:")) for a, _ in changed)
    assert original.startswith(new.split("requirements:")[0])  # header comments untouched


def _make_pdf(src: Path, dst: Path) -> None:
    lines = [".nf", ".ll 7.5i", ".ps 9"]
    for line in src.read_text().splitlines():
        line = line.replace("\\", "\\e")
        lines.append("\\&" + line if line.startswith((".", "'")) else line)
    proc = subprocess.run(["groff", "-Tpdf"], input="\n".join(lines).encode(), capture_output=True, timeout=60)
    if proc.returncode != 0 or not proc.stdout.startswith(b"%PDF-"):
        pytest.skip(f"groff -Tpdf could not make a PDF: {proc.stderr.decode(errors='replace')[:200]}")
    dst.write_bytes(proc.stdout)


@pytest.mark.skipif(not (shutil.which("groff") and shutil.which("pdftotext")),
                    reason="needs groff (PDF output, Debian package groff) and pdftotext (poppler-utils)")
def test_pdf_of_clean_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = tmp_path / "clean.pdf"
    _make_pdf(DATA / "clean.txt", pdf)
    assert main([str(pdf), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"XR-STOR-1"' in out and '"unmatched_entries": []' in out
