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
