"""Shared fixtures: a real SQLite file per test, an in-memory keyring, actors and the app."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# No test may reach the machine's real keyring.
os.environ["PCTUI_KEYRING"] = "memory"
os.environ.pop("PCTUI_KEYRING_PASSPHRASE", None)

from pctui.core.codes import Role  # noqa: E402
from pctui.secrets import SecretStore  # noqa: E402
from pctui.store import users  # noqa: E402
from pctui.store.db import Store  # noqa: E402
from tests.accounts import open_folder, shared_folder  # noqa: E402,F401 - fixtures

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "x12"
if not FIXTURES.is_dir():  # a checkout whose shared/ sits elsewhere
    FIXTURES = Path(os.environ.get("PCTUI_FIXTURES", "../shared/fixtures/x12")).resolve()

ADMIN, BILLER = "alice", "bob"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "pctui.db"


@pytest.fixture
def store(db_path: Path):
    s = Store.open(db_path)
    admin = users.identify(s, ADMIN)  # first user: admin
    users.add_user(s, admin, BILLER, Role.BILLER)
    yield s
    s.close()


@pytest.fixture
def admin(store: Store) -> users.Actor:
    return users.identify(store, ADMIN)


@pytest.fixture
def biller(store: Store) -> users.Actor:
    return users.identify(store, BILLER)


@pytest.fixture
def secrets() -> SecretStore:
    return SecretStore.in_memory()


@pytest.fixture
def make_app(store: Store, secrets: SecretStore):
    """Build the real app on the test database, as a given user."""
    from pctui.ui.app import PctuiApp

    def factory(login: str = ADMIN) -> PctuiApp:
        return PctuiApp(store=store, secrets=secrets, login=login)

    return factory
