"""Validation of payer connection fields, fit to each gateway type. Pure functions."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pctui.core.codes import GatewayType

_HOST = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_X12_ID = re.compile(r"^[A-Za-z0-9 ]{1,15}$")


def _host_ok(host: str) -> bool:
    return bool(_HOST.match(host))


def endpoint_problem(gateway_type: GatewayType | str, endpoint: str) -> str | None:
    """Why ``endpoint`` is not usable for this gateway type, or None if it is."""
    endpoint = endpoint.strip()
    if not endpoint:
        return "required"
    kind = GatewayType(gateway_type)
    if kind in (GatewayType.HTTPS, GatewayType.CLEARINGHOUSE):
        parts = urlsplit(endpoint)
        if parts.scheme != "https":
            return "must be an https:// URL, e.g. https://gateway.example/claims"
        if not parts.hostname or not _host_ok(parts.hostname):
            return "the URL has no valid host name"
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            return "the port must be a number from 1 to 65535"
        if parts.username or parts.password:
            return "do not put credentials in the URL; use the API key field"
        return None
    # SFTP: host[:port], optionally /path, optionally written as sftp://host[:port][/path].
    # The folders themselves are the connection's SFTP settings (upload and download folder).
    if "://" in endpoint and not endpoint.startswith("sftp://"):
        return "an SFTP mailbox is host[:port] (or sftp://host:port), not a web URL"
    text = endpoint[len("sftp://"):] if endpoint.startswith("sftp://") else endpoint
    if "@" in text:
        return "do not put a user name in the endpoint; use the SFTP user name field"
    hostport, _, _ = text.partition("/")
    host, colon, port = hostport.partition(":")
    if not _host_ok(host):
        return "must be host[:port], e.g. sftp.payer.example:22"
    if colon and (not port.isdigit() or not 1 <= int(port) <= 65535):
        return "the port must be a number from 1 to 65535"
    return None


def sftp_address(endpoint: str) -> tuple[str, int, str]:
    """``sftp://edi.example:2222/in`` or ``edi.example:2222/in`` -> (host, port, "/in").
    Only for an endpoint that :func:`endpoint_problem` accepted."""
    text = endpoint.strip()
    text = text[len("sftp://"):] if text.startswith("sftp://") else text
    hostport, slash, path = text.partition("/")
    host, _, port = hostport.partition(":")
    return host, int(port) if port else 22, f"/{path.strip('/')}" if path.strip("/") else ""


def compliance_rule_problem(rule: str) -> str | None:
    if not _IDENTIFIER.match(rule):
        return f"'{rule}' is not an identifier (letters, digits, . _ : -; up to 64)"
    return None


def x12_id_problem(value: str) -> str | None:
    """Submitter / receiver IDs go into ISA06/ISA08 and GS02/GS03: up to 15 characters."""
    if value and not _X12_ID.match(value):
        return "up to 15 letters, digits or spaces"
    return None


def parse_compliance_rules(text: str) -> list[str]:
    """``"5010-SNIP2, HIPAA-837P"`` -> ``["5010-SNIP2", "HIPAA-837P"]`` (order kept, no repeats)."""
    seen: list[str] = []
    for part in re.split(r"[,\s]+", text.strip()):
        if part and part not in seen:
            seen.append(part)
    return seen
