"""What a payer connection needs to reach a real mailbox, beside its endpoint. Pure functions.

Two shapes, one per transport (the config document's ``sftp`` and ``https`` objects, SPEC 3/5):

``sftp`` (gateway type ``sftp``)
    username           the SFTP login (required)
    host_key           the server's host-key fingerprint, ``SHA256:...`` as ``ssh-keygen -l``
                       prints it; pinned: a server offering another key is refused. Empty until
                       the admin pins it (Test connection shows the key the server offers).
    upload_dir         where files are sent (``/SendFiles``, ``to-stedi``) (required)
    download_dir       where answers wait (``/ReceiveFiles``, ``from-stedi``) (required)
    upload_mode        ``direct`` (write under the final name) or ``temp_rename`` (write
                       ``NAME.tmp``, then rename it: the server never sees half a file). Servers
                       that forbid renames (ECGrid) need ``direct``.
    file_name_template the remote name of a sent file; placeholders below. Default ``{name}``.
    private_key_file   an SSH private key to log in with instead of a password ("" = password).
                       The keyring then holds the key's passphrase, if it has one.
    after_download     ``keep`` (default), ``delete`` or ``move`` (to ``archive_dir``) a remote
                       file once it is safely stored in pctui — never before.
    archive_dir        where ``move`` puts received files
    include_subfolders also receive from folders inside the download folder (Claim.MD keeps
                       tax-ID subfolders: ``/ReceiveFiles/741111111/...``)
    timeout_seconds    limit for each network step (default 30)

``https`` (gateway types ``https`` and ``clearinghouse``; the endpoint is the base URL)
    profile            the API's protocol: ``claim_md`` (Claim.MD's published REST API)
    key_in             ``form`` (a form field, Claim.MD's ``AccountKey``) or ``header``
    key_name           the form field or header that carries the key (default ``AccountKey``)
    upload_path        POST a file here (default ``/services/upload/``)
    response_path      claim responses, listed from the last ResponseID (``/services/response/``)
    era_list_path      ERAs, listed from the last ERAID (``/services/eralist/``)
    era_download_path  one ERA as X12 835 (``/services/era835/``)
    ca_bundle          a PEM file of CA certificates to trust instead of the system's ("")
    timeout_seconds    limit for each request (default 30)

Secrets (API key, SFTP password, key passphrase) are never part of either object.

File-name template placeholders: ``{name}`` the file's own name, ``{stem}`` and ``{ext}`` its
parts (``claims`` and ``.837``), ``{timestamp}`` UTC ``YYYYMMDDHHMMSS``, ``{date}`` UTC
``YYYYMMDD``, ``{usage}`` ``T`` or ``P``, ``{submitter}`` the submitter ID, ``{seq}`` a number
counting this connection's transmissions, ``{uuid}`` a random 32-hex identifier.
"""

from __future__ import annotations

import re
import string
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from pctui.core.codes import GatewayType


class Usage(StrEnum):
    """ISA15 on what is sent: T(est) or P(roduction)."""

    TEST = "test"
    PRODUCTION = "production"

    @property
    def isa15(self) -> str:
        return "T" if self is Usage.TEST else "P"

    @property
    def label(self) -> str:
        return "Test (ISA15 T)" if self is Usage.TEST else "Production (ISA15 P)"


class UploadMode(StrEnum):
    DIRECT = "direct"
    TEMP_RENAME = "temp_rename"


class AfterDownload(StrEnum):
    KEEP = "keep"
    DELETE = "delete"
    MOVE = "move"


class HttpsProfile(StrEnum):
    CLAIM_MD = "claim_md"

    @property
    def label(self) -> str:
        return {"claim_md": "Claim.MD REST API"}[self.value]


class KeyIn(StrEnum):
    FORM = "form"
    HEADER = "header"


TEMPLATE_FIELDS = ("name", "stem", "ext", "timestamp", "date", "usage", "submitter", "seq", "uuid")
DEFAULT_TIMEOUT_SECONDS = 30
MAX_POLL_MINUTES = 7 * 24 * 60
_SECRET_WORDS = {"password", "passphrase", "api_key", "apikey", "key", "secret", "accountkey"}
_FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}=?$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_USERNAME = re.compile(r"^[^\s/\\:@\x00-\x1f\x7f]{1,64}$")


@dataclass(frozen=True)
class SftpSettings:
    username: str = ""
    host_key: str = ""
    upload_dir: str = ""
    download_dir: str = ""
    upload_mode: str = UploadMode.DIRECT.value
    file_name_template: str = "{name}"
    private_key_file: str = ""
    after_download: str = AfterDownload.KEEP.value
    archive_dir: str = ""
    include_subfolders: bool = False
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HttpsSettings:
    profile: str = HttpsProfile.CLAIM_MD.value
    key_in: str = KeyIn.FORM.value
    key_name: str = "AccountKey"
    upload_path: str = "/services/upload/"
    response_path: str = "/services/response/"
    era_list_path: str = "/services/eralist/"
    era_download_path: str = "/services/era835/"
    ca_bundle: str = ""
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Settings = SftpSettings | HttpsSettings
REQUIRED_SFTP = ("username", "upload_dir", "download_dir")
_BOOL_FIELDS = {"include_subfolders"}
_INT_FIELDS = {"timeout_seconds"}


def settings_key(gateway_type: GatewayType | str) -> str:
    """The config document's object for this gateway type: ``sftp`` or ``https``."""
    return "sftp" if GatewayType(gateway_type) is GatewayType.SFTP else "https"


def settings_class(gateway_type: GatewayType | str) -> type[SftpSettings] | type[HttpsSettings]:
    return SftpSettings if settings_key(gateway_type) == "sftp" else HttpsSettings


def default_settings(gateway_type: GatewayType | str) -> Settings:
    return settings_class(gateway_type)()


def settings_from_dict(gateway_type: GatewayType | str, raw: dict[str, Any]) -> Settings:
    """Stored (already checked) settings back into their dataclass; absent keys at defaults,
    keys this version does not know are ignored (a newer pctui may have written them)."""
    cls = settings_class(gateway_type)
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in raw.items() if k in known})


def parse_settings(gateway_type: GatewayType | str, raw: Any,
                   partial: bool = False) -> tuple[Settings, dict[str, str]]:
    """Check a ``sftp``/``https`` object. Returns the settings (with defaults for absent keys)
    and every problem by key. Unknown keys are refused by name; a secret is refused outright.
    ``partial`` allows required SFTP keys to be missing (a connection still being set up)."""
    cls = settings_class(gateway_type)
    problems: dict[str, str] = {}
    if not isinstance(raw, dict):
        return cls(), {"": "must be an object"}
    known = [f.name for f in fields(cls)]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            if str(key).lower().replace("-", "_") in _SECRET_WORDS:
                problems[str(key)] = ("secrets are never part of the settings: store it with "
                                      "`pctui connections key NAME` or in Insurance Payers")
            else:
                problems[str(key)] = f"unknown key (expected {', '.join(known)})"
            continue
        if key in _BOOL_FIELDS:
            if not isinstance(value, bool):
                problems[key] = "must be true or false"
                continue
        elif key in _INT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int):
                problems[key] = "must be a whole number"
                continue
        elif not isinstance(value, str):
            problems[key] = "must be text"
            continue
        else:
            value = value.strip()
        values[key] = value
    settings = cls(**values)
    checks = _sftp_problems(settings, partial) if isinstance(settings, SftpSettings) else (
        _https_problems(settings))
    for key, problem in checks.items():
        problems.setdefault(key, problem)
    return settings, problems


def _control(value: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in value)


def folder_problem(value: str) -> str | None:
    if not value:
        return "required"
    if len(value) > 255:
        return "255 characters at most"
    if _control(value) or "\\" in value:
        return "a folder on the server, e.g. /SendFiles (no control characters or backslashes)"
    if any(part == ".." for part in value.split("/")):
        return "'..' is not allowed in a folder"
    return None


def local_path_problem(value: str) -> str | None:
    if not value:
        return None
    if _control(value) or len(value) > 1024:
        return "not a usable file path"
    if not (value.startswith("/") or value.startswith("~/")):
        return "give the full path, starting with / or ~/"
    return None


def _sftp_problems(s: SftpSettings, partial: bool) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not s.username:
        if not partial:
            problems["username"] = "required: the SFTP login name"
    elif not _USERNAME.match(s.username):
        problems["username"] = "a login name without spaces, slashes, ':' or '@' (64 at most)"
    if s.host_key and not _FINGERPRINT.match(s.host_key):
        problems["host_key"] = ("a SHA256 fingerprint, e.g. SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxd"
                                "CARLviKw6E5SY8 (Test connection shows the server's)")
    for key in ("upload_dir", "download_dir"):
        problem = folder_problem(getattr(s, key))
        if problem and (problem != "required" or not partial):
            problems[key] = problem
    if s.upload_mode not in {m.value for m in UploadMode}:
        problems["upload_mode"] = 'must be "direct" or "temp_rename"'
    problem = template_problem(s.file_name_template)
    if problem:
        problems["file_name_template"] = problem
    problem = local_path_problem(s.private_key_file)
    if problem:
        problems["private_key_file"] = problem
    if s.after_download not in {a.value for a in AfterDownload}:
        problems["after_download"] = 'must be "keep", "delete" or "move"'
    elif s.after_download == AfterDownload.MOVE:
        problem = folder_problem(s.archive_dir)
        if problem:
            problems["archive_dir"] = ("required when received files are moved" if
                                       problem == "required" else problem)
        elif s.archive_dir.rstrip("/") == s.download_dir.rstrip("/"):
            problems["archive_dir"] = "must differ from the download folder"
    elif s.archive_dir:
        problem = folder_problem(s.archive_dir)
        if problem:
            problems["archive_dir"] = problem
    problem = timeout_problem(s.timeout_seconds)
    if problem:
        problems["timeout_seconds"] = problem
    return problems


def _https_problems(s: HttpsSettings) -> dict[str, str]:
    problems: dict[str, str] = {}
    if s.profile not in {p.value for p in HttpsProfile}:
        problems["profile"] = 'must be "claim_md" (Claim.MD\'s REST API)'
    if s.key_in not in {k.value for k in KeyIn}:
        problems["key_in"] = 'must be "form" or "header"'
    if not _TOKEN.match(s.key_name):
        problems["key_name"] = "a field or header name: letters, digits, - and _ (64 at most)"
    for key in ("upload_path", "response_path", "era_list_path", "era_download_path"):
        value = getattr(s, key)
        if not value.startswith("/") or len(value) > 200 or _control(value) or any(
                c in value for c in " ?#\\"):
            problems[key] = "a path on the API's host starting with /, e.g. /services/upload/"
    problem = local_path_problem(s.ca_bundle)
    if problem:
        problems["ca_bundle"] = problem
    problem = timeout_problem(s.timeout_seconds)
    if problem:
        problems["timeout_seconds"] = problem
    return problems


def timeout_problem(value: int) -> str | None:
    if not 1 <= value <= 600:
        return "from 1 to 600 seconds"
    return None


def poll_minutes_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return "must be a whole number of minutes (0: no schedule)"
    if not 0 <= value <= MAX_POLL_MINUTES:
        return f"from 0 (no schedule) to {MAX_POLL_MINUTES} minutes"
    return None


def template_problem(template: str) -> str | None:
    """Why a file-name template cannot make safe remote names, or None."""
    if not template:
        return "required, e.g. {name}"
    if len(template) > 200 or _control(template):
        return "200 printable characters at most"
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return "unbalanced { or }: write {{ or }} for a literal brace"
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in TEMPLATE_FIELDS or spec or conversion:
            return f"unknown placeholder {{{field}}} (use {', '.join('{' + f + '}' for f in TEMPLATE_FIELDS)})"
    sample = render_template(template, "claims.837", datetime(2026, 1, 2, 3, 4, 5), "T",
                             "SUBMITTER", 1, "0" * 32)
    if "/" in sample or "\\" in sample or sample in (".", "..") or not sample.strip():
        return "must make a plain file name (no / or \\)"
    return None


def render_template(template: str, name: str, when: datetime, usage_flag: str, submitter: str,
                    seq: int, uid: str) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    else:
        ext = "." + ext
    return template.format(
        name=name, stem=stem, ext=ext, timestamp=when.strftime("%Y%m%d%H%M%S"),
        date=when.strftime("%Y%m%d"), usage=usage_flag, submitter=submitter.strip(),
        seq=seq, uuid=uid)
