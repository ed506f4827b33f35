"""Users and roles: the first user is admin; billers cannot manage users."""

from __future__ import annotations

import pytest

from pctui.core.codes import Role
from pctui.store import audit, users
from pctui.store.db import Store
from pctui.store.errors import PermissionDenied


def test_the_first_user_of_a_new_database_becomes_admin(db_path) -> None:
    store = Store.open(db_path)
    first = users.identify(store, "dana")
    assert first.role is Role.ADMIN and first.first_admin
    second = users.identify(store, "eve")
    assert second.role is None and not second.is_admin
    assert "not registered" in second.describe()
    assert audit.entries(store, "user")[0].changes["reason"] == ["first user of this database"] \
        or "first user" in str(audit.entries(store, "user")[0].changes)
    store.close()


def test_a_biller_cannot_add_users(store: Store, biller) -> None:
    with pytest.raises(PermissionDenied, match="only an admin"):
        users.add_user(store, biller, "mallory", Role.ADMIN)


def test_an_admin_changes_a_role_and_it_is_audited(store: Store, admin) -> None:
    users.add_user(store, admin, "bob", Role.ADMIN)
    assert users.identify(store, "bob").is_admin
    last = audit.entries(store, "user")[0]
    assert last.action == "changed" and last.changes["role"] == ["biller", "admin"]


def test_an_admin_deactivates_a_user_who_then_may_change_nothing(store, admin) -> None:
    users.set_active(store, admin, "bob", False)
    bob = users.identify(store, "bob")
    assert bob.role is None and not bob.can_release
    # told the truth: deactivated, not "not registered" (an admin reactivates, not re-adds)
    assert bob.describe() == "bob (deactivated: read-only)"
    with pytest.raises(PermissionDenied, match="bob was deactivated in this database: read-only "
                       r"\(an admin can run `pctui users reactivate bob`\)"):
        bob.require_release()
    with pytest.raises(PermissionDenied, match="Users is read-only for you: bob was deactivated"):
        users.add_user(store, bob, "mallory", Role.ADMIN)
    assert [(u.login, u.active) for u in users.list_users(store)] == [("alice", True),
                                                                     ("bob", False)]
    last = audit.entries(store, "user")[0]
    assert (last.action, last.label, last.user) == ("deactivated", "bob", "alice")
    users.set_active(store, admin, "bob", True)
    assert users.identify(store, "bob").role is Role.BILLER


def test_a_session_already_open_loses_the_rights_an_admin_takes_away(store, admin) -> None:
    """Bob has had pctui open since the morning; at 10:00 an admin deactivates him. His next
    import is refused — not at his next login."""
    from pctui.store import intake, payers

    bob = users.identify(store, "bob")  # his session, opened earlier
    users.add_user(store, admin, "carol", Role.ADMIN)
    carol = users.identify(store, "carol")
    users.set_active(store, admin, "bob", False)
    users.set_role(store, admin, "carol", Role.BILLER)
    with pytest.raises(PermissionDenied, match="bob was deactivated in this database"):
        intake.import_bytes(store, "morning.835", b"ISA*00*", bob)
    with pytest.raises(PermissionDenied, match="only an admin may change it"):
        payers.store_payer(store, carol, payers.PayerDraft("BCBS", "Blue Cross", "commercial"))
    with pytest.raises(PermissionDenied, match="Only an admin may void"):
        from pctui.store import void

        void.void_release(store, carol, 1, "wrong payer")
    assert payers.list_payers(store) == []
    users.set_active(store, admin, "bob", True)  # given back: the same session works again
    assert intake.import_bytes(store, "notes.txt", b"not an 835", bob).status.value == "rejected"


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(store, admin) -> None:
    from pctui.store.errors import ValidationFailed

    for change in (lambda: users.set_active(store, admin, "alice", False),
                   lambda: users.set_role(store, admin, "alice", Role.BILLER),
                   lambda: users.add_user(store, admin, "alice", Role.BILLER)):
        with pytest.raises(ValidationFailed, match="alice is the last active admin"):
            change()
    assert users.identify(store, "alice").is_admin
    users.add_user(store, admin, "carol", Role.ADMIN)
    users.set_active(store, admin, "carol", False)  # a deactivated admin does not count
    with pytest.raises(ValidationFailed, match="last active admin"):
        users.set_role(store, admin, "alice", Role.BILLER)
    users.set_active(store, admin, "carol", True)
    users.set_role(store, admin, "alice", Role.BILLER)
    assert not users.identify(store, "alice").is_admin
    assert users.identify(store, "carol").is_admin


def test_a_biller_cannot_deactivate_or_promote(store, biller) -> None:
    with pytest.raises(PermissionDenied):
        users.set_active(store, biller, "alice", False)
    with pytest.raises(PermissionDenied):
        users.set_role(store, biller, "bob", Role.ADMIN)


@pytest.mark.parametrize("name", ["eve\x1b[2J", "eve\u202e", "eve\x00", "eve\nmallory"])
def test_a_login_with_control_characters_is_refused(store, admin, name) -> None:
    from pctui.store.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        users.add_user(store, admin, name, Role.BILLER)
    assert [u.login for u in users.list_users(store)] == ["alice", "bob"]
