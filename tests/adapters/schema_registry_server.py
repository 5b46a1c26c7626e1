"""A small schema registry for the tests: the REST calls Confluent's serializers and the
app make, in memory, on a loopback port. ``fault`` makes it misbehave on schema reads:
``"500"``, ``"html"`` (a proxy's error page) or ``"hang"`` (answers after ``hang_for``)."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse


class RegistryState:
    def __init__(self) -> None:
        self.schemas: list[dict[str, Any]] = []  # index = id - 1
        self.subjects: dict[str, list[int]] = {}  # subject -> ids by version
        self.lock = threading.Lock()
        self.fault: str | None = None
        self.hang_for = 3.0
        self.reads = 0

    def register(self, subject: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            entry = {
                "schema": body["schema"],
                "schemaType": body.get("schemaType") or "AVRO",
                "references": body.get("references") or [],
            }
            for i, s in enumerate(self.schemas):
                if {k: s[k] for k in entry} == entry:
                    sid = i + 1
                    break
            else:
                self.schemas.append({**entry, "guid": str(uuid.uuid4())})
                sid = len(self.schemas)
            versions = self.subjects.setdefault(subject, [])
            if sid not in versions:
                versions.append(sid)
            return self.version_body(subject, versions.index(sid) + 1)

    def version_body(self, subject: str, version: int) -> dict[str, Any]:
        sid = self.subjects[subject][version - 1]
        s = self.schemas[sid - 1]
        return {"subject": subject, "version": version, "id": sid, **s}


class _Handler(BaseHTTPRequestHandler):
    state: RegistryState

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: Any, ctype: str = "application/json") -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        # The client may have stopped waiting (a test that closes its source): not news.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(raw)

    def _not_found(self, what: str) -> None:
        self._send(404, {"error_code": 40403, "message": f"{what} not found"})

    def do_POST(self) -> None:
        url = urlparse(self.path)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        m = re.fullmatch(r"/subjects/([^/]+)/versions", url.path)
        if m:
            self._send(200, self.state.register(unquote(m.group(1)), body))
            return
        m = re.fullmatch(r"/subjects/([^/]+)", url.path)
        if m:
            subject = unquote(m.group(1))
            for version, sid in enumerate(self.state.subjects.get(subject, []), 1):
                if self.state.schemas[sid - 1]["schema"] == body.get("schema"):
                    self._send(200, self.state.version_body(subject, version))
                    return
            self._not_found("Schema")
            return
        self._not_found("Path")

    def do_GET(self) -> None:
        url = urlparse(self.path)
        state = self.state
        path = url.path
        if path.startswith("/schemas/") and not path.endswith("/versions"):
            state.reads += 1
            if state.fault == "500":
                self._send(500, {"error_code": 50001, "message": "Store error"})
                return
            if state.fault == "html":
                self._send(502, b"<html><body>Bad gateway</body></html>", "text/html")
                return
            if state.fault == "html200":
                self._send(200, b"<html><body>Sign in</body></html>", "text/html")
                return
            if state.fault == "hang":
                time.sleep(state.hang_for)
        parse_qs(url.query)
        m = re.fullmatch(r"/schemas/ids/(\d+)", path)
        if m:
            sid = int(m.group(1))
            if not 0 < sid <= len(state.schemas):
                self._not_found("Schema")
                return
            self._send(200, {"id": sid, **state.schemas[sid - 1]})
            return
        m = re.fullmatch(r"/schemas/ids/(\d+)/versions", path)
        if m:
            sid = int(m.group(1))
            self._send(
                200,
                [
                    {"subject": subject, "version": ids.index(sid) + 1}
                    for subject, ids in sorted(state.subjects.items())
                    if sid in ids
                ],
            )
            return
        m = re.fullmatch(r"/schemas/guids/([0-9a-f-]+)", path)
        if m:
            for i, s in enumerate(state.schemas):
                if s["guid"] == m.group(1):
                    self._send(200, {"id": i + 1, **s})
                    return
            self._not_found("Schema")
            return
        if path == "/subjects":
            self._send(200, sorted(state.subjects))
            return
        m = re.fullmatch(r"/subjects/([^/]+)/versions", path)
        if m and unquote(m.group(1)) in state.subjects:
            self._send(200, list(range(1, len(state.subjects[unquote(m.group(1))]) + 1)))
            return
        m = re.fullmatch(r"/subjects/([^/]+)/versions/(latest|\d+)", path)
        if m and unquote(m.group(1)) in state.subjects:
            subject = unquote(m.group(1))
            n = len(state.subjects[subject])
            v = n if m.group(2) == "latest" else int(m.group(2))
            if 0 < v <= n:
                self._send(200, state.version_body(subject, v))
                return
        self._not_found("Subject or version")


class SchemaRegistryServer:
    """``with SchemaRegistryServer() as reg: reg.url``; ``reg.state`` for faults."""

    def __init__(self) -> None:
        self.state = RegistryState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SchemaRegistryServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
