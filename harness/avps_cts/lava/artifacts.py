"""Job artifacts over HTTP: a read-only server for the build and cache folders, and the URLs jobs name them by."""
from __future__ import annotations

import os
import threading
import urllib.parse
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from ..cache import cache_dir


class ArtifactError(Exception):
    """A file a job needs cannot be published (outside every served folder, or missing)."""


def artifact_roots(build: Path) -> dict[str, Path]:
    """The folders a job's files come from, by the URL prefix they are served under: probe images
    and initramfs in the build folder, the guest kernel and Debian's packages in the cache."""
    return {"build": build.resolve(), "cache": cache_dir().resolve()}


def artifact_url(path: Path, base: str, roots: dict[str, Path]) -> str:
    """The URL under which an ArtifactServer at 'base' serves 'path'."""
    resolved = path.resolve()
    if not resolved.is_file():
        raise ArtifactError(f"{path}: no such file to publish")
    for name, root in roots.items():
        if resolved.is_relative_to(root):
            rel = resolved.relative_to(root).as_posix()
            return f"{base.rstrip('/')}/{name}/{urllib.parse.quote(rel)}"
    raise ArtifactError(f"{path} is outside the published folders ({', '.join(str(r) for r in roots.values())})")


@dataclass
class Served:
    """What the server handed out, so a caller can show that jobs fetched over HTTP."""
    fetched: list[tuple[str, int]] = field(default_factory=list)  # (URL path, bytes) per GET, in order
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(roots: dict[str, Path], served: Served) -> type[SimpleHTTPRequestHandler]:
    class ArtifactHandler(SimpleHTTPRequestHandler):
        """GET/HEAD of regular files under a root; no listings, no paths that leave a root."""

        def translate_path(self, path: str) -> str:
            parts = urllib.parse.unquote(urllib.parse.urlsplit(path).path).lstrip("/").split("/", 1)
            root = roots.get(parts[0])
            if root is None or len(parts) < 2:
                return ""
            candidate = (root / parts[1]).resolve()
            return str(candidate) if candidate.is_relative_to(root) and candidate.is_file() else ""

        def send_head(self) -> Any:
            if not self.translate_path(self.path):
                with served.lock:
                    served.refused.append(self.path)
                self.send_error(HTTPStatus.NOT_FOUND, "not a published artifact")
                return None
            return super().send_head()

        def do_GET(self) -> None:
            # Recorded once the headers are out and before the body: a client that has read the
            # whole file must find its fetch listed (recording after the copy raced with it).
            body = self.send_head()
            if body is None:
                return
            try:
                with served.lock:
                    served.fetched.append((urllib.parse.urlsplit(self.path).path,
                                           os.fstat(body.fileno()).st_size))
                self.copyfile(body, self.wfile)
            finally:
                body.close()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass  # the caller reports what was served; LAVA's own log has each download

    return ArtifactHandler


class ArtifactServer:
    """Serves the artifact roots on 127.0.0.1 (port 0: any free one) from a thread until closed."""

    def __init__(self, roots: dict[str, Path], port: int = 0, host: str = "127.0.0.1") -> None:
        self.roots = roots
        self.served = Served()
        self._server = ThreadingHTTPServer((host, port), _handler(roots, self.served))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="lava-artifacts", daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: Path) -> str:
        return artifact_url(path, self.base, self.roots)

    def start(self) -> ArtifactServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ArtifactServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
