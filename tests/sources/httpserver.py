"""A local HTTP server for connector tests: scripted replies per path, static files and directories on 127.0.0.1, every request recorded."""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

__all__ = ["LocalServer", "Reply", "Responder", "Seen", "local_server"]

log = logging.getLogger("tests.httpserver")

HOST = "127.0.0.1"
# Extra bytes announced in Content-Length by a truncated reply: the client must see the body as cut short.
TRUNCATED_EXTRA = 64


@dataclass(frozen=True)
class Reply:
    """One scripted response: status, headers, body, a delay before anything is sent, and whether the body is cut short.

    `truncate=True` announces a Content-Length larger than the body, sends the body and closes the connection,
    which is what a dropped transfer looks like to the client.
    """

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: bool = False

    @classmethod
    def json(cls, payload: Any, status: int = 200, **kwargs: Any) -> Reply:
        """A JSON body with Content-Type application/json."""
        headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
        return cls(status, json.dumps(payload).encode(), headers, **kwargs)

    @classmethod
    def text(
        cls, text: str, content_type: str = "text/plain; charset=utf-8", status: int = 200, **kwargs: Any
    ) -> Reply:
        """A UTF-8 text body (CSV, HTML, plain) with the given Content-Type."""
        headers = {"Content-Type": content_type, **kwargs.pop("headers", {})}
        return cls(status, text.encode("utf-8"), headers, **kwargs)

    @classmethod
    def file(cls, path: Path | str, content_type: str | None = None, status: int = 200, **kwargs: Any) -> Reply:
        """The bytes of a file (read now), with a Content-Type guessed from its suffix unless given."""
        path = Path(path)
        headers = {"Content-Type": content_type or _guess_type(path), **kwargs.pop("headers", {})}
        return cls(status, path.read_bytes(), headers, **kwargs)


@dataclass(frozen=True)
class Seen:
    """One request as the server received it; `time` is time.monotonic() when its headers had been read."""

    method: str
    path: str
    raw_query: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    time: float

    def param(self, name: str) -> str | None:
        """The first value of query parameter `name`, or None."""
        values = self.query.get(name)
        return values[0] if values else None


Responder = Reply | Callable[[Seen], Reply]


@dataclass
class _Route:
    replies: tuple[Responder, ...]
    query: Mapping[str, str]
    used: int = 0

    def matches(self, seen: Seen) -> bool:
        return all(value in seen.query.get(name, ()) for name, value in self.query.items())

    def next(self, seen: Seen) -> Reply:
        # The caller holds the server lock, so concurrent requests consume the script in arrival order.
        reply = self.replies[min(self.used, len(self.replies) - 1)]
        self.used += 1
        return reply(seen) if callable(reply) else reply


class LocalServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 (ephemeral port); use as a context manager or start()/stop().

    Usage::

        from tests.sources.httpserver import LocalServer, Reply

        with LocalServer() as server:
            server.route("/v8/finance/chart/IWM", Reply(429, headers={"Retry-After": "2"}), Reply.json({"chart": {}}))
            server.route("/fred/series/observations", Reply.file(payload), query={"series_id": "DGS3MO"})
            server.directory("/Archives/", shared_fixtures / "sec")
            client = HttpClient("yahoo", server.url, ...)
            ...
            assert len(server.requests_to("/v8/finance/chart/IWM")) == 2

    A route's replies are used in order and the last one repeats; a reply may also be a function of the recorded
    request. A path with no route and no directory gets 404. The server binds only 127.0.0.1 on an ephemeral port,
    runs in a daemon thread, and a reply's delay is cut short when the server stops, so a test never hangs on it.
    """

    def __init__(self) -> None:
        self._routes: dict[str, list[_Route]] = {}
        self._directories: list[tuple[str, Path]] = []
        self._seen: list[Seen] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._httpd is not None:
            raise RuntimeError("the server is already running")
        self._stopping.clear()
        self._httpd = _Server((HOST, 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="local-http", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, cut pending delays short and close the socket."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    @property
    def port(self) -> int:
        """The bound port."""
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL, http://127.0.0.1:<port>, without a trailing slash."""
        return f"http://{HOST}:{self.port}"

    def route(self, path: str, *replies: Responder, query: Mapping[str, str] | None = None) -> None:
        """Answer requests for `path` (and, if given, these query values) with `replies` in order, the last repeating.

        Among routes of one path the one naming the most query parameters that all match wins; a later route
        with the same path and query replaces the earlier one.
        """
        if not path.startswith("/"):
            raise ValueError(f"a route path starts with '/', got {path!r}")
        if not replies:
            raise ValueError("a route needs at least one reply")
        new = _Route(tuple(replies), MappingProxyType(dict(query or {})))
        with self._lock:
            routes = [r for r in self._routes.get(path, []) if dict(r.query) != dict(new.query)]
            self._routes[path] = [*routes, new]

    def file(self, path: str, file: Path | str, content_type: str | None = None) -> None:
        """Serve the current bytes of `file` at `path` on every request."""
        self.route(path, Reply.file(file, content_type))

    def directory(self, prefix: str, root: Path | str) -> None:
        """Serve the files under `root` at `prefix` + their relative path (read per request; nothing outside root)."""
        root = Path(root).resolve()
        if not root.is_dir():
            raise ValueError(f"not a directory: {root}")
        prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
        with self._lock:
            self._directories.append((prefix, root))

    @property
    def requests(self) -> list[Seen]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._seen)

    def requests_to(self, path: str) -> list[Seen]:
        """The requests received for `path`, in arrival order."""
        return [s for s in self.requests if s.path == path]

    def _answer(self, seen: Seen) -> Reply:
        with self._lock:
            self._seen.append(seen)
            candidates = [r for r in self._routes.get(seen.path, []) if r.matches(seen)]
            if candidates:
                return max(candidates, key=lambda r: len(r.query)).next(seen)
            directories = list(self._directories)
        for prefix, root in directories:
            if seen.path.startswith(prefix):
                target = (root / seen.path[len(prefix) :]).resolve()
                if target.is_file() and target.is_relative_to(root):
                    return Reply.file(target)
        return Reply.text(f"no route for {seen.path}\n", status=404)


def _guess_type(path: Path) -> str:
    guessed, _ = mimetypes.guess_type(path.name)
    if path.suffix.lower() == ".csv":
        return "text/csv"
    return guessed or "application/octet-stream"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], owner: LocalServer) -> None:
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or closed a keep-alive connection is expected here, not a test failure.
        log.debug("local server: error while handling a request from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LocalServer/1"
    # Idle keep-alive connections are dropped after this many seconds, so no handler thread lingers.
    timeout = 5
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        # Silent: `requests` records everything, and a log line would echo test secrets into captured logs.
        pass

    def _serve(self) -> None:
        now = time.monotonic()
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        seen = Seen(
            method=self.command,
            path=unquote(parts.path),
            raw_query=parts.query,
            query=MappingProxyType(parse_qs(parts.query, keep_blank_values=True)),
            headers=MappingProxyType({k.lower(): v for k, v in self.headers.items()}),
            body=body,
            time=now,
        )
        owner = self.server.owner
        reply = owner._answer(seen)
        if reply.delay > 0 and owner._stopping.wait(reply.delay):
            self.close_connection = True
            return
        try:
            self._send(reply)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout was shorter than the delay): nothing left to answer.
            self.close_connection = True

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        announced = len(reply.body) + (TRUNCATED_EXTRA if reply.truncate else 0)
        sent_length = False
        for name, value in reply.headers.items():
            if name.lower() == "content-length":
                sent_length = True
            self.send_header(name, value)
        if not sent_length:
            self.send_header("Content-Length", str(announced))
        if reply.truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)
        self.wfile.flush()
        if reply.truncate:
            self.close_connection = True


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A running LocalServer for one test (import it into a conftest, or wrap LocalServer in a module's own fixture)."""
    with LocalServer() as server:
        yield server
