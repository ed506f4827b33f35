"""Shared fixtures: a real database per test, an in-memory keyring, actors and the app.

**Both backends.** Every test that uses ``store``, ``db_path`` or ``make_db`` runs twice: on a
SQLite file (``[sqlite]``) and on a fresh database of a throwaway PostgreSQL cluster
(``[postgresql]``). The cluster is started once per run by the process that runs pytest
(``tests/pgcluster.py``: initdb in a temporary folder, a Unix socket only) and shared with the
xdist workers through ``PCTUI_TEST_PG``; each test gets its own database, a copy of a migrated
template. Without PostgreSQL's server programs only SQLite runs, and the run ends saying so.

- ``db_path`` is the database's location as a user gives it to ``--db``: a ``Path`` on SQLite,
  a ``postgresql://`` URL (a ``str``) on PostgreSQL.
- Tests about SQLite itself (files, WAL, pragmas) carry ``@pytest.mark.sqlite_only``; tests
  under ``tests/ui`` stay on SQLite, except those marked ``@pytest.mark.both_backends`` (the
  app itself on a PostgreSQL server).
- ``PCTUI_TEST_NO_PG=1`` skips the PostgreSQL half on purpose.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# No test may reach the machine's real keyring.
os.environ["PCTUI_KEYRING"] = "memory"
os.environ.pop("PCTUI_KEYRING_PASSPHRASE", None)

from pctui.core.codes import Role  # noqa: E402
from pctui.secrets import SecretStore  # noqa: E402
from pctui.store import users  # noqa: E402
from pctui.store.db import Store  # noqa: E402
from tests import pgcluster  # noqa: E402
from tests.accounts import open_folder, shared_folder  # noqa: E402,F401 - fixtures

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "x12"
if not FIXTURES.is_dir():  # a checkout whose shared/ sits elsewhere
    FIXTURES = Path(os.environ.get("PCTUI_FIXTURES", "../shared/fixtures/x12")).resolve()

ADMIN, BILLER = "alice", "bob"


# -- the throwaway PostgreSQL cluster (one per run) -------------------------------------------

_cluster: pgcluster.ThrowawayCluster | None = None
_pg_state = ""  # what the closing summary says about PostgreSQL


def pytest_configure(config: pytest.Config) -> None:
    global _cluster, _pg_state
    if hasattr(config, "workerinput"):  # an xdist worker: the controller prepared everything
        return
    if os.environ.get(pgcluster.ENV_OFF):
        _pg_state = f"SKIPPED: {pgcluster.ENV_OFF} is set; only SQLite was tested"
        return
    url = os.environ.get(pgcluster.ENV_URL)
    if url:
        _pg_state = "ran against the PostgreSQL server given in PCTUI_TEST_PG"
    else:
        bindir = pgcluster.server_bindir()
        if bindir is None:
            _pg_state = ("SKIPPED: PostgreSQL's server programs are not installed (Debian: "
                         "apt-get install postgresql); only SQLite was tested")
            return
        _cluster = pgcluster.ThrowawayCluster(bindir)
        try:
            url = _cluster.start()
        except BaseException:
            _cluster.stop()
            raise
        os.environ[pgcluster.ENV_URL] = url  # inherited by the xdist workers started later
        _pg_state = f"ran against a throwaway PostgreSQL cluster ({bindir})"
    try:
        os.environ[pgcluster.ENV_TEMPLATE] = pgcluster.prepare_template(url)
    except BaseException:
        pytest_unconfigure(config)
        raise


def pytest_unconfigure(config: pytest.Config) -> None:
    global _cluster
    if hasattr(config, "workerinput"):
        return
    template = os.environ.pop(pgcluster.ENV_TEMPLATE, None)
    if _cluster is not None:
        _cluster.stop()  # the whole cluster goes, template and all
        _cluster = None
        os.environ.pop(pgcluster.ENV_URL, None)
    elif template and os.environ.get(pgcluster.ENV_URL):
        pgcluster.drop_database(os.environ[pgcluster.ENV_URL], template)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    if _pg_state and not hasattr(config, "workerinput"):
        terminalreporter.write_line(f"PostgreSQL: {_pg_state}",
                                    yellow=_pg_state.startswith("SKIPPED"), bold=True)


def _sqlite_only(metafunc: pytest.Metafunc) -> bool:
    if metafunc.definition.get_closest_marker("sqlite_only") is not None:
        return True
    if metafunc.definition.get_closest_marker("both_backends") is not None:
        return False
    return "ui" in Path(str(metafunc.definition.path)).relative_to(Path(__file__).parent).parts


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames or _sqlite_only(metafunc):
        return
    backends = ["sqlite"]
    if os.environ.get(pgcluster.ENV_URL):
        backends.append("postgresql")
    metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql`` (parametrized by ``pytest_generate_tests``, or by a test's
    own ``parametrize("backend", ["postgresql"], indirect=True)``: skipped without a server)."""
    name = getattr(request, "param", "sqlite")
    if name == "postgresql" and not os.environ.get(pgcluster.ENV_URL):
        pytest.skip("no PostgreSQL server in this run")
    return name


@pytest.fixture
def make_db(backend: str, tmp_path: Path):
    """Makes a new, empty database on the test's backend; returns its location for ``--db``."""
    made: list[str] = []

    def make(name: str = "pctui.db", blank: bool = False) -> Path | str:
        """``blank``: a database nothing has touched (on PostgreSQL not even the migrations,
        which a new database otherwise gets from the run's template, to save time)."""
        if backend == "sqlite":
            return tmp_path / name
        url = pgcluster.create_database(os.environ[pgcluster.ENV_URL],
                                        template=None if blank else "")
        made.append(url)
        return url

    yield make
    for url in made:
        pgcluster.drop_database(os.environ[pgcluster.ENV_URL], pgcluster.database_name(url))
    for url in made:  # Path("postgresql://…") is a relative path: a test used the URL as a file
        stray = [p for p in Path.cwd().glob("postgresql:/*/*") if pgcluster.database_name(url) in
                 str(p)]
        for path in stray:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()
        assert not stray, (f"a test treated the PostgreSQL URL as a file path and created {stray} "
                           "(mark it @pytest.mark.sqlite_only, or use the URL as a URL)")


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database for a test about PostgreSQL alone (skipped without one)."""
    admin = os.environ.get(pgcluster.ENV_URL)
    if not admin:
        pytest.skip("no PostgreSQL server in this run")
    url = pgcluster.create_database(admin)
    yield url
    pgcluster.drop_database(admin, pgcluster.database_name(url))


@pytest.fixture
def db_path(make_db) -> Path | str:
    """The test's database: a SQLite file path, or a PostgreSQL URL."""
    return make_db()


@pytest.fixture
def stored_bytes(backend: str, db_path: Path | str):
    """Everything the database holds, as bytes (to prove a secret never got in): the SQLite
    file and its companions, or every row of every table on PostgreSQL."""

    def dump() -> bytes:
        if backend == "sqlite":
            path = Path(db_path)
            return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))
        return pgcluster.dump_rows(str(db_path))

    return dump


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
