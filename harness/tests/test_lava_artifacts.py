"""The LAVA artifact server: jobs fetch exactly the published files over HTTP, nothing outside them."""
from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from avps_cts.lava.artifacts import ArtifactError, ArtifactServer, artifact_url


@pytest.fixture()
def roots(tmp_path: Path) -> dict[str, Path]:
    build, cache = tmp_path / "build", tmp_path / "cache"
    (build / "probes").mkdir(parents=True)
    (cache / "guest-kernel" / "k1").mkdir(parents=True)
    (build / "probes" / "psci.img").write_bytes(b"probe image")
    (cache / "guest-kernel" / "k1" / "Image").write_bytes(b"kernel" * 100)
    (tmp_path / "secret").write_text("not published")
    return {"build": build, "cache": cache}


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_a_job_url_fetches_the_file_it_names(roots: dict[str, Path]) -> None:
    with ArtifactServer(roots) as server:
        url = server.url(roots["cache"] / "guest-kernel" / "k1" / "Image")
        assert url == f"{server.base}/cache/guest-kernel/k1/Image"
        assert _get(url) == (200, b"kernel" * 100)
        assert _get(server.url(roots["build"] / "probes" / "psci.img")) == (200, b"probe image")
        assert server.served.fetched == [("/cache/guest-kernel/k1/Image", 600), ("/build/probes/psci.img", 11)]
        assert server.served.refused == []


@pytest.mark.parametrize("path", ["/build/../secret", "/build/%2e%2e/secret", "/build/probes", "/build/",
                                  "/other/probes/psci.img", "/", "/build/probes/missing.img"])
def test_nothing_outside_the_published_files_is_served(roots: dict[str, Path], path: str) -> None:
    with ArtifactServer(roots) as server:
        status, body = _get(server.base + path)
        assert status == 404 and b"not published" not in body
        assert server.served.fetched == [] and server.served.refused


def test_a_file_outside_the_roots_or_missing_has_no_url(roots: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="outside the published folders"):
        artifact_url(tmp_path / "secret", "http://127.0.0.1:1", roots)
    with pytest.raises(ArtifactError, match="no such file"):
        artifact_url(roots["build"] / "probes" / "nosuch.img", "http://127.0.0.1:1", roots)
