"""Claims out through the gateways (SPEC 6): submit claims, and apply the acknowledgments a poll
brings back.

:func:`submit` is :func:`pctui.store.submissions.submit_claims` with the connection's transport
as its sender: each file goes through :func:`pctui.exchange.send_files`, so it is checked (ISA15
against the connection's usage), kept in the mailbox with who sent it, named by the
connection's file-name template and uploaded. :func:`after_poll` applies every acknowledgment the
mailbox received and the claims side has not applied yet (the poll calls it).
"""

from __future__ import annotations

from collections.abc import Sequence

from pctui.secrets import SecretStore
from pctui.store import acknowledgments
from pctui.store.acknowledgments import AckResult
from pctui.store.db import Store
from pctui.store.scrub import CheckProgress
from pctui.store.submissions import Sender, SendFailed, Sent, SubmitRun, submit_claims
from pctui.store.tables import PayerConnection
from pctui.store.users import Actor


def sender_for(store: Store, secrets: SecretStore, actor: Actor) -> Sender:
    """Send one file through a connection with the gateways; SendFailed says why not."""
    from pctui.exchange import send_files

    def send(connection: PayerConnection, name: str, data: bytes) -> Sent:
        assert connection.id is not None
        [result] = send_files(store, secrets, actor, connection.id, [(name, data)])
        if result.status == "sent":
            return Sent(result.remote_name)
        raise SendFailed("; ".join(result.errors) or f"the file was {result.status}")

    return send


def submit(store: Store, secrets: SecretStore, actor: Actor,
           claim_ids: Sequence[str] | None = None, *, connection: str | None = None,
           progress: CheckProgress | None = None) -> SubmitRun:  # fmt: skip
    return submit_claims(store, actor, sender_for(store, secrets, actor), claim_ids,
                         connection=connection, progress=progress)  # fmt: skip


def after_poll(store: Store, actor: Actor) -> list[AckResult]:
    """Apply the acknowledgments received (by this poll or an earlier one) to the claims."""
    return acknowledgments.apply_received(store, actor.login)
