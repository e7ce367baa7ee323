"""The HTML report in a real browser: Debian's headless Chromium lays it out, screenshots it, and we check the page."""
from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from avps_cts.manifest import Manifest, load as load_manifest
from avps_cts.reports import writer
from avps_cts.results import CaseResult, RunResult, Status
from avps_cts.verdicts import verdict_sections

KNOWN = "psci.affinity_info.on"  # marked as a known non-conformance in this sample (Xen fails it)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]

# Runs in a copy of the page only (the report itself carries no script): measures what the
# browser laid out and leaves it in a data attribute that --dump-dom prints.
MEASURE = """<script>
const r = e => e.getBoundingClientRect();
const boxes = [...document.querySelectorAll('.split .box')].map(b => Math.round(r(b).top));
const oneLine = [...document.querySelectorAll('td.num')].filter(td => td.textContent.trim()).map(td => {
  const range = document.createRange(); range.selectNodeContents(td); return range.getClientRects().length; });
const chart = document.getElementById('area-chart');
document.body.setAttribute('data-measure', JSON.stringify({
  headline: document.getElementById('headline').innerText, headlineHeight: r(document.getElementById('headline')).height,
  boxTops: boxes, boxTexts: [...document.querySelectorAll('.split .box')].map(b => b.innerText),
  chartWidth: r(chart).width, chartTop: r(chart).top, failBars: chart.querySelectorAll('rect.bar-fail').length,
  failBarWidth: Math.max(0, ...[...chart.querySelectorAll('rect.bar-fail')].map(b => r(b).width)),
  timeCellLines: oneLine, firstFailure: document.querySelector('tr.failure code').innerText,
  excerpt: (document.querySelector('pre.excerpt') || {innerText: ''}).innerText,
  known: document.querySelectorAll('.known').length, pageWidth: document.documentElement.scrollWidth}));
</script>"""


@pytest.fixture(scope="module")
def chromium(repo: Path) -> str:
    path = shutil.which("chromium")
    if path is None:
        subprocess.run([str(repo / "harness" / "bootstrap.sh"), "install", "chromium"], check=False)
        path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium missing and 'harness/bootstrap.sh install chromium' could not install it")
    return path


def browse(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=120)


def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes): enough PNG for Chromium's 8-bit truecolour screenshots."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, rows, prev = zlib.decompress(idat), [], bytearray(width * bpp)
    stride = width * bpp
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r[i] for i in range(len(r)) if i % bpp < 3) for r in rows]


def solid_block(rows: list[bytes], colour: tuple[int, int, int], min_w: int, min_h: int) -> bool:
    """True when some min_w x min_h rectangle of the screenshot is (nearly) exactly this colour."""
    def near(row: bytes, x: int) -> bool:
        return all(abs(row[3 * x + k] - colour[k]) <= 6 for k in range(3))
    runs: dict[int, int] = {}
    for row in rows:
        width = len(row) // 3
        hits = [x for x in range(0, width - min_w, 2) if all(near(row, x + d) for d in range(0, min_w, 2))]
        runs = {x: runs.get(x, 0) + 1 for x in hits}
        if any(n >= min_h for n in runs.values()):
            return True
    return False


def sample_report(manifest: Manifest, folder: Path) -> Path:
    run = RunResult(target="qemu-arm64", started="2026-12-01T23:00:00", duration_s=61.5,
                    platform={"qemu_version": "7.2.0", "machine": "virt", "profile": "default"})
    for c in manifest.cases:
        run.cases.append(CaseResult(c.case_id, Status.PASS, list(c.requirements), duration_s=1.25,
                                    program=c.program))
    by_id = {c.case_id: c for c in run.cases}
    by_id["psci.version"].status = Status.FAIL
    by_id["psci.version"].detail = "PSCI_VERSION = 0x2 (0.2), AVPS needs 1.0 or later"
    by_id[KNOWN].status = Status.FAIL
    by_id["virtio.rng.device_present"].status = Status.FAIL
    by_id["virtio.rng.device_present"].waived = "waivers.yaml:2, until 2099-01-01: rng lands next drop (QA)"
    run.waivers = [{"where": "waivers.yaml:2", "case": "virtio.rng.device_present", "requirement": None,
                    "reason": "rng lands next drop", "who": "QA", "expires": "2099-01-01", "expired": False,
                    "matched": ["virtio.rng.device_present"]}]
    (folder / "console-psci.log").write_text(
        "KTAP version 1\n1..1\n    KTAP version 1\n    1..14\n    # PSCI_VERSION = 0x2 (0.2)\n"
        "    not ok 1 psci.version\n    ok 2 psci.features.mandatory\n")
    sections, extra = verdict_sections(run, manifest)
    writer.write_all(run, folder, sections, extra, {"suite_revision": "abc123 (test)", "tools": {"python": "3"}},
                     {KNOWN: "AFFINITY_INFO(0xfefe) returns 1 (OFF) instead of INVALID_PARAMETERS (sample evidence)"},
                     {c.case_id: c.checks for c in manifest.cases})
    return folder / "report.html"


def test_report_renders_in_chromium(build: Path, chromium: str, tmp_path: Path) -> None:
    folder = tmp_path / "report"
    folder.mkdir()
    page = sample_report(load_manifest(build), folder)
    text = page.read_text()
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    measured = folder / "measure.html"
    measured.write_text(text.replace("</body>", MEASURE + "</body>"))
    dom = browse(chromium, tmp_path, "--window-size=1400,1000", "--dump-dom", measured.as_uri())
    match = re.search(r"data-measure=\"([^\"]*)\"", dom.stdout)
    assert match, dom.stderr[-2000:]
    m = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<")
                   .replace("&gt;", ">"))
    assert m["headline"].startswith("NOT conformant") and m["headlineHeight"] > 0
    assert len(set(m["boxTops"])) == 1 and len(m["boxTops"]) == 3, "three verdict boxes side by side"
    assert [t.split("\n")[0] for t in m["boxTexts"]] == ["Platform failures", "Suite gaps", "Waived"]
    assert int(m["boxTexts"][2].split("\n")[1]) >= 1 and "1 current waiver" in m["boxTexts"][2]
    assert m["chartWidth"] > 500 and m["failBars"] >= 1 and m["failBarWidth"] > 2
    assert m["timeCellLines"] and set(m["timeCellLines"]) == {1}, "the time column never wraps"
    assert m["firstFailure"] == "psci.version", "unexplained failures first, known ones after"
    assert "not ok 1 psci.version" in m["excerpt"]
    assert m["known"] >= 1 and m["pageWidth"] <= 1400
    shot = tmp_path / "report.png"
    done = browse(chromium, tmp_path, "--window-size=1400,1000", f"--screenshot={shot}", page.as_uri())
    assert shot.exists(), done.stderr[-2000:]
    width, height, rows = read_png(shot)
    assert (width, height) == (1400, 1000)
    chart_rows = rows[int(m["chartTop"]):int(m["chartTop"]) + 600]
    assert solid_block(chart_rows, (0xcf, 0x22, 0x2e), 2, 12), "a red failure bar is drawn in the chart"
    assert solid_block(chart_rows, (0x1a, 0x7f, 0x37), 20, 12), "green pass bars are drawn in the chart"
