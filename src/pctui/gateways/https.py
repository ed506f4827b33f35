"""HTTPS APIs through httpx: TLS always verified (the system's CAs, or the connection's own
``ca_bundle``), a time limit on every request, 5xx and dropped connections retried with backoff.

The API's protocol is a *profile* (:class:`ApiProfile`); ``claim_md`` is Claim.MD's published
REST API (``https://svc.claim.md``; every call a POST carrying ``AccountKey``; JSON asked for
with ``Accept: application/json``):

- upload: ``POST /services/upload/`` multipart with ``AccountKey``, ``File`` and ``Filename``;
  the answer names a ``fileid`` (and may list claims with ``status``/``messages``).
- claim responses: ``POST /services/response/`` with ``ResponseID`` = the last one seen (0 at
  first); the answer has ``last_responseid`` and ``claim`` (each with ``messages``). One answer
  with claims is received as one file, ``claimmd-responses-<first>-<last>.json`` (kind
  ``other``: Claim.MD's own format, not X12), and the cursor moves to ``last_responseid``.
- ERAs: ``POST /services/eralist/`` with ``ERAID`` = the last one seen and ``NewOnly=0`` (our
  cursor decides what is new, not Claim.MD's "downloaded" flag, so a second pctui or a re-run
  after a crash still gets every ERA); each listed ``eraid`` is fetched with
  ``POST /services/era835/`` (``eraid``) and received as ``era-<eraid>.835``, in ERAID order.

Claim.MD sends the key as a form field; a profile may send it as a header instead (``key_in``).
It never goes into a URL (URLs end up in proxy logs). A 401/403, or an answer with an ``error``
object, is a login failure in plain words. Stedi's API (key in a header, polling by date) can be
another profile beside this one: only :class:`ApiProfile` needs writing.

Uploads are not repeated after the request may have reached the server: only a failure to
connect, or a 503 (the server says it did not take it), is retried.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from pctui.core.connection_settings import HttpsSettings, KeyIn
from pctui.gateways.base import (
    DEFAULT_RETRY,
    GatewayConfig,
    GatewayError,
    RemoteFile,
    RetryPolicy,
    Sent,
    Step,
    TestReport,
    with_retries,
)

USER_AGENT = "pctui (medical billing; +gateway)"
MAX_PAGES = 50


class HttpsTransport:
    """An HTTPS API connection speaking one profile."""

    def __init__(self, config: GatewayConfig, retry: RetryPolicy = DEFAULT_RETRY) -> None:
        assert isinstance(config.settings, HttpsSettings)
        self.config = config
        self.settings: HttpsSettings = config.settings
        self.retry = retry
        parts = urlsplit(config.endpoint)
        self.host = parts.hostname or ""
        self.port = parts.port or 443
        self.timeout = float(self.settings.timeout_seconds)
        self._client: httpx.Client | None = None
        self.profile = ClaimMdProfile(self)

    def __enter__(self) -> HttpsTransport:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- plumbing -------------------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        bundle = self.settings.ca_bundle
        if bundle:
            path = Path(bundle).expanduser()
            try:
                return ssl.create_default_context(cafile=str(path))
            except (OSError, ssl.SSLError):
                raise GatewayError(Step.SETTINGS, f"the CA bundle {bundle} cannot be read as PEM "
                                   "certificates") from None
        return ssl.create_default_context()

    def _http(self) -> httpx.Client:
        if self._client is None:
            if not self.config.secret:
                raise GatewayError(Step.SETTINGS, "no API key in the keyring for this connection")
            headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
            if self.settings.key_in == KeyIn.HEADER:
                headers[self.settings.key_name] = self.config.secret
            self._client = httpx.Client(
                base_url=self.config.endpoint.rstrip("/"), verify=self._tls_context(),
                timeout=httpx.Timeout(self.timeout), headers=headers, follow_redirects=False,
                trust_env=False)
        return self._client

    def _form(self, fields: Mapping[str, str]) -> dict[str, str]:
        form = dict(fields)
        if self.settings.key_in == KeyIn.FORM:
            form[self.settings.key_name] = self.config.secret or ""
        return form

    def post(self, path: str, fields: Mapping[str, str], *, upload: tuple[str, bytes] | None = None,
             what: str) -> httpx.Response:
        """POST with the key; retried per policy on passing failures. Never returns a 4xx/5xx."""

        def attempt() -> httpx.Response:
            client = self._http()
            try:
                if upload is not None:
                    name, data = upload
                    response = client.post(path, data=self._form(fields), files={
                        "File": (name, data, "application/octet-stream")})
                else:
                    response = client.post(path, data=self._form(fields))
            except httpx.ConnectTimeout:
                raise GatewayError(Step.NETWORK, f"no answer from {self.host}:{self.port} "
                                   f"within {self.timeout:g} s", retryable=True) from None
            except httpx.ConnectError as exc:
                raise _connect_error(exc, self.host, self.port) from None
            except httpx.TimeoutException:
                raise GatewayError(Step.TRANSFER, f"{what}: no answer within {self.timeout:g} s",
                                   retryable=upload is None) from None
            except httpx.TransportError as exc:
                raise GatewayError(Step.TRANSFER, f"{what}: the connection dropped "
                                   f"({type(exc).__name__})", retryable=upload is None) from None
            status = response.status_code
            if status in (401, 403):
                raise GatewayError(Step.LOGIN, f"the API refused the key (HTTP {status}): check "
                                   "this connection's API key")
            if status == 503 or (status >= 500 and upload is None):
                raise GatewayError(Step.TRANSFER, f"{what}: the server failed (HTTP {status})",
                                   retryable=True)
            if status >= 400:
                raise GatewayError(Step.FOLDER if status == 404 else Step.TRANSFER,
                                   f"{what}: HTTP {status} from {path}"
                                   + (" (is the path right?)" if status == 404 else ""))
            return response

        return with_retries(attempt, self.retry)

    def json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            data = response.json()
        except (ValueError, UnicodeDecodeError):
            raise GatewayError(Step.TRANSFER, f"{what}: the answer is not JSON") from None
        if not isinstance(data, dict):
            raise GatewayError(Step.TRANSFER, f"{what}: an unexpected answer (not an object)")
        error = _api_error(data)
        if error:
            step = Step.LOGIN if "key" in error.lower() or "auth" in error.lower() else (
                Step.TRANSFER)
            raise GatewayError(step, f"{what}: the API said: {error}")
        return data

    # -- the interface --------------------------------------------------------------------

    def test(self, cursors: Mapping[str, str] | None = None) -> TestReport:
        report = TestReport()
        try:
            if not self.config.secret:
                raise GatewayError(Step.SETTINGS, "no API key in the keyring for this connection")
            context = self._tls_context()
            try:
                addresses = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
            except socket.gaierror:
                raise GatewayError(Step.NAME, f"the name {self.host} cannot be found (DNS): "
                                   "check the endpoint") from None
            report.passed(Step.NAME, f"{self.host} is {addresses[0][4][0]}")
            try:
                sock = socket.create_connection(addresses[0][4][:2], timeout=self.timeout)
            except TimeoutError:
                raise GatewayError(Step.NETWORK, f"no answer from {self.host}:{self.port} within "
                                   f"{self.timeout:g} s") from None
            except OSError as exc:
                raise GatewayError(Step.NETWORK, f"cannot reach {self.host}:{self.port} "
                                   f"({exc.strerror or type(exc).__name__})") from None
            report.passed(Step.NETWORK, f"{self.host}:{self.port} answers")
            try:
                with context.wrap_socket(sock, server_hostname=self.host) as tls:
                    subject = _subject(tls.getpeercert())
            except ssl.SSLCertVerificationError as exc:
                raise GatewayError(Step.TLS, f"the certificate of {self.host} is not trusted "
                                   f"({exc.verify_message}); a private CA needs the "
                                   "connection's CA bundle") from None
            except (ssl.SSLError, OSError) as exc:
                raise GatewayError(Step.TLS, f"the TLS handshake with {self.host} failed "
                                   f"({type(exc).__name__})") from None
            report.passed(Step.TLS, f"certificate verified{subject}")
            found = self.profile.check(dict(cursors or {}))
            report.passed(Step.LOGIN, "the API accepted the key")
            report.passed(Step.FOLDER, found)
        except GatewayError as exc:
            report.fail(exc)
        return report

    def list(self, cursors: Mapping[str, str] | None = None) -> list[RemoteFile]:
        return self.profile.list(dict(cursors or {}))

    def fetch(self, remote: RemoteFile) -> bytes:
        if remote.content is not None:
            return remote.content
        return self.profile.fetch(remote)

    def put(self, remote_name: str, data: bytes) -> Sent:
        return self.profile.put(remote_name, data)

    def dispose(self, remote: RemoteFile) -> str:
        return ""  # an API keeps its history; the cursor is what moves on


class ApiProfile:
    """What one provider's API does behind list/fetch/put. Subclass for another provider."""

    def __init__(self, transport: HttpsTransport) -> None:
        self.t = transport

    def check(self, cursors: dict[str, str]) -> str:
        raise NotImplementedError

    def list(self, cursors: dict[str, str]) -> list[RemoteFile]:
        raise NotImplementedError

    def fetch(self, remote: RemoteFile) -> bytes:
        raise NotImplementedError

    def put(self, remote_name: str, data: bytes) -> Sent:
        raise NotImplementedError


class ClaimMdProfile(ApiProfile):
    """Claim.MD's REST API (see the module's docstring for the calls)."""

    def check(self, cursors: dict[str, str]) -> str:
        data = self.t.json(self.t.post(self.t.settings.era_list_path, {
            "ERAID": cursors.get("era", "0"), "NewOnly": "0"}, what="listing ERAs"), "listing ERAs")
        waiting = len(_items(data.get("era")))
        return f"the ERA list answers; {waiting} new ERA{'s' if waiting != 1 else ''} waiting"

    def list(self, cursors: dict[str, str]) -> list[RemoteFile]:
        return [*self._responses(cursors.get("response", "0")), *self._eras(cursors.get("era", "0"))]

    def _responses(self, since: str) -> list[RemoteFile]:
        what = "listing claim responses"
        response = self.t.post(self.t.settings.response_path, {"ResponseID": since}, what=what)
        data = self.t.json(response, what)
        claims = _items(data.get("claim"))
        last = str(data.get("last_responseid") or "").strip()
        if not claims or not last.isdigit() or int(last) <= _number(since):
            return []
        ids = [_number(str(m.get("responseid", ""))) for c in claims
               for m in _items(c.get("messages")) if isinstance(m, dict)]
        first = min([i for i in ids if i > 0], default=_number(since) + 1)
        return [RemoteFile(name=f"claimmd-responses-{first}-{last}.json", ref=f"response:{last}",
                           size=len(response.content), stream="response", position=last,
                           content=response.content)]

    def _eras(self, since: str) -> list[RemoteFile]:
        found: dict[int, RemoteFile] = {}
        cursor = since
        for _ in range(MAX_PAGES):  # a long backlog may come in pages: follow until nothing new
            what = "listing ERAs"
            data = self.t.json(self.t.post(self.t.settings.era_list_path, {
                "ERAID": cursor, "NewOnly": "0"}, what=what), what)
            new = 0
            for era in _items(data.get("era")):
                eraid = str(era.get("eraid", "")).strip() if isinstance(era, dict) else ""
                if not eraid.isdigit() or int(eraid) <= _number(since) or int(eraid) in found:
                    continue
                found[int(eraid)] = RemoteFile(name=f"era-{eraid}.835", ref=eraid, stream="era",
                                               position=eraid)
                new += 1
            if not new:
                break
            cursor = str(max(found))
        return [found[k] for k in sorted(found)]

    def fetch(self, remote: RemoteFile) -> bytes:
        what = f"downloading ERA {remote.ref}"
        response = self.t.post(self.t.settings.era_download_path, {"eraid": remote.ref},
                               what=what)
        body = response.content
        if body.lstrip()[:3] == b"ISA":
            return body
        data = self.t.json(response, what)
        text = data.get("data")
        if isinstance(text, list):
            text = "".join(str(t) for t in text)
        if not isinstance(text, str) or not text.strip():
            raise GatewayError(Step.TRANSFER, f"{what}: the answer holds no 835")
        return text.encode("utf-8")

    def put(self, remote_name: str, data: bytes) -> Sent:
        what = f"uploading {remote_name}"
        response = self.t.post(self.t.settings.upload_path, {"Filename": remote_name},
                               upload=(remote_name, data), what=what)
        answer = self.t.json(response, what)
        file_id = str(answer.get("fileid") or "").strip()
        claims = [c for c in _items(answer.get("claim")) if isinstance(c, dict)]
        note = f"Claim.MD file {file_id}" if file_id else "Claim.MD took the file"
        if claims:
            rejected = sum(1 for c in claims if str(c.get("status", "")).upper().startswith("R"))
            note += f"; {len(claims)} claim{'s' if len(claims) != 1 else ''}"
            if rejected:
                note += f", {rejected} rejected at once"
        return Sent(remote_name, note, file_id)


def _items(value: Any) -> list[Any]:
    """Claim.MD's JSON gives one item as an object and several as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _number(text: str) -> int:
    return int(text) if text.strip().isdigit() else 0


def _api_error(data: dict[str, Any]) -> str:
    errors = _items(data.get("error"))
    texts = []
    for error in errors:
        if isinstance(error, dict):
            text = error.get("error_mesg") or error.get("message") or error.get("text") or ""
            code = error.get("error_code") or error.get("code") or ""
            texts.append(f"{text} ({code})" if code and text else str(text or code))
        elif error:
            texts.append(str(error))
    line = " ".join("; ".join(t for t in texts if t).split())
    return line[:200]


def _connect_error(exc: httpx.ConnectError, host: str, port: int) -> GatewayError:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return GatewayError(Step.TLS, f"the certificate of {host} is not trusted "
                                f"({cause.verify_message}); a private CA needs the connection's "
                                "CA bundle")
        if isinstance(cause, ssl.SSLError):
            return GatewayError(Step.TLS, f"the TLS handshake with {host} failed")
        if isinstance(cause, socket.gaierror):
            return GatewayError(Step.NAME, f"the name {host} cannot be found (DNS)")
        if isinstance(cause, ConnectionRefusedError):
            return GatewayError(Step.NETWORK, f"{host} refused the connection on port {port}",
                                retryable=True)
        cause = cause.__cause__ or cause.__context__
    text = str(exc).lower()
    if "certificate" in text or "ssl" in text:
        return GatewayError(Step.TLS, f"the TLS handshake with {host} failed")
    if "name or service" in text or "nodename" in text:
        return GatewayError(Step.NAME, f"the name {host} cannot be found (DNS)")
    return GatewayError(Step.NETWORK, f"cannot reach {host}:{port}", retryable=True)


def _subject(cert: dict[str, Any] | None) -> str:
    for rdn in (cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return f" ({value})"
    return ""


def describe_json(data: bytes) -> Any:
    """A response file's content as JSON (for summaries); None when it is not JSON."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
