"""The schema registry's REST API, as a :class:`~monitor.core.formats.schemas.SchemaSource`.

Works with Confluent, Karapace, Redpanda and Apicurio's compatible API:
``GET /schemas/ids/{id}`` (and ``/schemas/ids/{id}/versions`` for the subject and version
the details show), ``GET /schemas/guids/{guid}``, ``GET /subjects``,
``GET /subjects/{s}/versions`` and ``GET /subjects/{s}/versions/{v}`` (how references are
resolved). Protobuf schemas are asked for with ``format=serialized`` when the registry
answers with ``.proto`` text.

:meth:`RegistryClient.lookup` never waits: a schema not yet fetched is fetched in a worker
thread (stdlib ``urllib``; one request per schema for as long as the client lives) and
the answer is :class:`Pending` until then; callbacks given to ``when_settled`` run when a
fetch ends. A failure (404, 500, an HTML page, a timeout, an unreachable host) is an
:class:`Unavailable` answer with a reason that says what happened; it is asked again
after ``retry_after`` seconds.
"""

from __future__ import annotations

import base64
import contextlib
import json
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from monitor.core.formats.framing import SchemaRef
from monitor.core.formats.schemas import (
    AVRO,
    PROTOBUF,
    REGISTRY_TYPES,
    Pending,
    Schema,
    SchemaAnswer,
    Unavailable,
)

DEFAULT_TIMEOUT = 5.0
RETRY_AFTER = 30.0
_MAX_REFERENCE_DEPTH = 32


class RegistryError(Exception):
    """A registry request that failed; ``str()`` says why in a sentence."""

    def __init__(self, message: str, status: int | None = None, *, tls: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.tls = tls  # the TLS handshake failed (trust, client certificate): not the URL


@dataclass(frozen=True)
class RegistrySettings:
    """Where the registry is and how to sign in. Secrets come from the keyring or an
    environment variable (see adapters.kafka.profiles), never from a file."""

    url: str
    username: str | None = None
    password: str | None = None
    bearer_token: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    def __repr__(self) -> str:  # never a secret in a log line
        return f"RegistrySettings(url={self.url!r}, username={self.username!r})"


class RegistryClient:
    """A cached, non-blocking schema source over a registry's REST API."""

    def __init__(self, settings: RegistrySettings, *, retry_after: float = RETRY_AFTER) -> None:
        self.settings = settings
        self.base = settings.url.rstrip("/")
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._answers: dict[SchemaRef, tuple[SchemaAnswer, float]] = {}
        self._by_subject_version: dict[tuple[str, int], Schema] = {}
        self._callbacks: list[Callable[[], None]] = []
        self._in_flight = 0
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="schema-registry")
        self._closed = False
        self._ssl = self._ssl_context()
        self.requests = 0  # how many HTTP requests were made (for tests and diagnostics)

    # -- SchemaSource -------------------------------------------------------------------

    def lookup(self, ref: SchemaRef | None, topic: str | None, is_key: bool) -> SchemaAnswer:
        if ref is None:
            return Unavailable("the record is not framed with a schema id")
        with self._lock:
            found = self._answers.get(ref)
            if found is not None:
                answer, at = found
                if not isinstance(answer, Unavailable) or time.monotonic() - at < self.retry_after:
                    return answer
            if self._closed:  # a decode that outlived its connection: nothing is fetched
                return self._closed_answer(ref)
            pending = Pending(f"{ref.describe()}: being fetched from {self.base}")
            self._answers[ref] = (pending, time.monotonic())
            self._in_flight += 1
            # Under the lock, so a close() cannot come between the test above and this.
            self._pool.submit(self._settle_in_background, ref)
        return pending

    def when_settled(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if self._in_flight:
                self._callbacks.append(callback)
                return
        callback()  # nothing is being fetched: whatever was pending has settled

    def claims(self, topic: str | None, is_key: bool) -> bool:
        return False

    def close(self) -> None:
        """Stop the worker threads. Schemas already fetched are still answered; a new
        fetch is not made (:meth:`lookup` says the connection was closed)."""
        with self._lock:
            self._closed = True
            # Fetches not yet started are cancelled below: their answers settle now, as
            # unavailable, so whoever waits on them (a late decode, Show schema) is told.
            now = time.monotonic()
            for ref, (answer, _at) in list(self._answers.items()):
                if isinstance(answer, Pending):
                    self._answers[ref] = (self._closed_answer(ref), now)
            self._in_flight = 0
            callbacks, self._callbacks = self._callbacks, []
        self._pool.shutdown(wait=False, cancel_futures=True)
        for callback in callbacks:
            with contextlib.suppress(Exception):  # a listener's failure is its own
                callback()

    def _closed_answer(self, ref: SchemaRef) -> Unavailable:
        return Unavailable(
            f"{ref.describe()}: the connection to {self.base} was closed; connect again"
        )

    # -- blocking calls (worker threads, the CLI, tests) ------------------------------

    def fetch(self, ref: SchemaRef) -> SchemaAnswer:
        """The answer for ``ref``, waiting for the request (cached like ``lookup``)."""
        with self._lock:
            found = self._answers.get(ref)
            if found is not None and isinstance(found[0], Schema):
                return found[0]
        self._fetch_and_settle(ref)
        return self._answers[ref][0]

    def subjects(self) -> list[str]:
        result = self._get("/subjects")
        return [s for s in result if isinstance(s, str)] if isinstance(result, list) else []

    def versions(self, subject: str) -> list[int]:
        result = self._get(f"/subjects/{_q(subject)}/versions")
        return [v for v in result if isinstance(v, int)] if isinstance(result, list) else []

    def subject_version(self, subject: str, version: int | str = "latest") -> Schema:
        """A subject's schema at ``version`` with its references; raises RegistryError."""
        return self._subject_version(subject, version, ())

    # -- fetching -------------------------------------------------------------------

    def _settle_in_background(self, ref: SchemaRef) -> None:
        try:
            self._fetch_and_settle(ref, background=True)
        except BaseException:
            with self._lock:
                self._in_flight = max(0, self._in_flight - 1)  # 0 already after a close
            raise

    def _fetch_and_settle(self, ref: SchemaRef, background: bool = False) -> None:
        answer: SchemaAnswer
        try:
            answer = self._fetch(ref)
        except RegistryError as exc:
            answer = Unavailable(f"{ref.describe()}: {exc}")
        except Exception as exc:  # the contract: a failed fetch is an answer, not a crash
            answer = Unavailable(f"{ref.describe()}: {type(exc).__name__}: {exc}")
        with self._lock:
            self._answers[ref] = (answer, time.monotonic())
            if background:
                self._in_flight = max(0, self._in_flight - 1)  # 0 already after a close
            callbacks = []
            if not self._in_flight:
                callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            with contextlib.suppress(Exception):  # a listener's failure is its own
                callback()

    def _fetch(self, ref: SchemaRef) -> Schema:
        path = f"/schemas/ids/{ref.id}" if ref.id is not None else f"/schemas/guids/{ref.guid}"
        body, kind, text = self._schema_at(path)
        schema = Schema(
            kind,
            text,
            id=ref.id if ref.id is not None else _int(body.get("id")),
            guid=ref.guid or _str(body.get("guid")),
            subject=_str(body.get("subject")),
            version=_int(body.get("version")),
        )
        schema.references = self._references(body.get("references"), (f"id {schema.id}",))
        if schema.subject is None and schema.id is not None:
            schema.subject, schema.version = self._subject_of(schema.id)
        return schema

    def _subject_of(self, schema_id: int) -> tuple[str | None, int | None]:
        """The first subject and version registered with this id (what the details show);
        ``(None, None)`` when the registry cannot say (older registries lack the call)."""
        try:
            found = self._get(f"/schemas/ids/{schema_id}/versions")
        except RegistryError:
            return None, None
        if isinstance(found, list) and found and isinstance(found[0], dict):
            return _str(found[0].get("subject")), _int(found[0].get("version"))
        return None, None

    def _references(self, refs: Any, chain: tuple[str, ...]) -> dict[str, Schema]:
        out: dict[str, Schema] = {}
        for r in refs or ():
            if not isinstance(r, dict) or not isinstance(r.get("subject"), str):
                continue
            out[str(r.get("name") or r["subject"])] = self._subject_version(
                r["subject"], r.get("version", "latest"), chain
            )
        return out

    def _subject_version(self, subject: str, version: int | str, chain: tuple[str, ...]) -> Schema:
        label = f"{subject} v{version}"
        if label in chain:
            raise RegistryError(f"the schema references itself ({' -> '.join((*chain, label))})")
        if len(chain) > _MAX_REFERENCE_DEPTH:
            raise RegistryError("schema references nest too deeply")
        if isinstance(version, int) and (subject, version) in self._by_subject_version:
            return self._by_subject_version[(subject, version)]
        path = f"/subjects/{_q(subject)}/versions/{_q(str(version))}"
        body, kind, text = self._schema_at(path, unknown_kind=AVRO)
        schema = Schema(
            kind,
            text,
            id=_int(body.get("id")),
            subject=subject,
            version=_int(body.get("version")),
            guid=_str(body.get("guid")),
        )
        schema.references = self._references(body.get("references"), (*chain, label))
        if schema.version is not None:
            self._by_subject_version[(subject, schema.version)] = schema
        return schema

    def _schema_at(
        self, path: str, unknown_kind: str | None = None
    ) -> tuple[dict[str, Any], str, str]:
        """``(answer, kind, text)`` of the schema at ``path`` (by id, GUID or subject and
        version): a Protobuf schema given as .proto text is asked for again in its
        serialized form (kept as .proto text when the registry has none). A schema type
        the app does not know is taken as ``unknown_kind``, or refused when that is
        ``None``."""
        body = self._get(path)
        if not isinstance(body, dict) or not isinstance(body.get("schema"), str):
            raise RegistryError(f"{self.base}{path} did not answer with a schema")
        kind = REGISTRY_TYPES.get(str(body.get("schemaType") or "AVRO"), unknown_kind)
        if kind is None:
            raise RegistryError(f"unknown schema type {body.get('schemaType')!r}")
        text: str = body["schema"]
        if kind == PROTOBUF and not _is_base64(text):
            again = self._get(path, {"format": "serialized"})
            text = again.get("schema", text) if isinstance(again, dict) else text
        return body, kind, text

    def _get(self, path: str, query: dict[str, str] | None = None) -> Any:
        url = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(
            url, headers={"Accept": "application/vnd.schemaregistry.v1+json, application/json"}
        )
        s = self.settings
        if s.bearer_token:
            request.add_header("Authorization", f"Bearer {s.bearer_token}")
        elif s.username:
            pair = f"{s.username}:{s.password or ''}".encode()
            request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=s.timeout, context=self._ssl) as resp:
                raw = resp.read(16 * 1024 * 1024)
                ctype = resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            raise RegistryError(_http_reason(url, exc), exc.code) from None
        except TimeoutError:
            raise RegistryError(
                f"the registry at {self.base} did not answer within {s.timeout:g} s"
            ) from None
        except urllib.error.URLError as exc:
            why = exc.reason
            if isinstance(why, TimeoutError):
                raise RegistryError(
                    f"the registry at {self.base} did not answer within {s.timeout:g} s"
                ) from None
            if isinstance(why, ssl.SSLError):
                raise self._tls_failure(why) from None
            raise RegistryError(f"cannot reach the registry at {self.base}: {why}") from None
        except ssl.SSLError as exc:  # the handshake failed after the connection was made
            raise self._tls_failure(exc) from None
        except OSError as exc:
            raise RegistryError(f"cannot reach the registry at {self.base}: {exc}") from None
        try:
            return json.loads(raw)
        except ValueError:
            what = "an HTML page" if b"<html" in raw[:512].lower() else f"not JSON ({ctype})"
            raise RegistryError(
                f"{url} answered with {what}: is {self.base} a schema registry?"
            ) from None

    def _tls_failure(self, why: ssl.SSLError) -> RegistryError:
        text = f"TLS with the registry at {self.base} failed: {why}"
        # A registry that wants a client certificate just drops the handshake without
        # one, which OpenSSL reports as an EOF: say what it most likely means.
        if not self.settings.cert_file and not isinstance(why, ssl.SSLCertVerificationError):
            text += "; the registry may want a client certificate, and none is set"
        return RegistryError(text, tls=True)

    def _ssl_context(self) -> ssl.SSLContext | None:
        s = self.settings
        if not self.base.startswith("https:"):
            return None
        context = ssl.create_default_context(cafile=s.ca_file)
        if s.cert_file:
            context.load_cert_chain(s.cert_file, s.key_file)
        return context


def _http_reason(url: str, exc: urllib.error.HTTPError) -> str:
    detail = ""
    try:
        body = json.loads(exc.read(4096) or b"{}")
        if isinstance(body, dict) and body.get("message"):
            detail = f": {body['message']}"
    except (ValueError, OSError):
        pass
    if exc.code == 404:
        return f"was not found in the registry ({url}{detail})"
    if exc.code in (401, 403):
        return (
            f"the registry refused the credentials (HTTP {exc.code}); set the registry user "
            "and secret, or token, of the profile"
        )
    return f"the registry answered HTTP {exc.code} {exc.reason}{detail} ({url}); retried later"


def _q(part: str) -> str:
    return urllib.parse.quote(part, safe="")


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except ValueError:
        return False
    return True


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None
