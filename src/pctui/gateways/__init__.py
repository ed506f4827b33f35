"""Transports to clearinghouses and payers: SFTP mailboxes and HTTPS APIs, behind one interface
(:mod:`pctui.gateways.base`). No SQL and no Textual here: callers (``pctui.exchange``) store what
comes back and say who asked."""

from __future__ import annotations

from pctui.core.codes import GatewayType
from pctui.gateways.base import (
    DEFAULT_RETRY,
    GatewayConfig,
    GatewayError,
    RemoteFile,
    RetryPolicy,
    Sent,
    Step,
    TestReport,
    Transport,
)

__all__ = ["DEFAULT_RETRY", "GatewayConfig", "GatewayError", "RemoteFile", "RetryPolicy", "Sent",
           "Step", "TestReport", "Transport", "open_transport"]


def open_transport(config: GatewayConfig, retry: RetryPolicy = DEFAULT_RETRY) -> Transport:
    """The transport for this connection's gateway type (not yet connected: it connects on
    first use, and closes when its ``with`` block ends)."""
    if GatewayType(config.gateway_type) is GatewayType.SFTP:
        from pctui.gateways.sftp import SftpTransport

        return SftpTransport(config, retry)
    from pctui.gateways.https import HttpsTransport

    return HttpsTransport(config, retry)
