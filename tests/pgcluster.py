"""A throwaway PostgreSQL cluster for the test suite and the benchmarks.

``initdb`` into a temporary folder, then ``postgres`` listening only on a Unix socket inside that
folder (no TCP port, so several runs on one machine never collide). The folder belongs to the
account that runs the server: ``postgres`` when we are root (initdb refuses root), else us.
The cluster is built for speed, not durability (fsync off): it is deleted when the run ends.

A watchdog process stops the server and deletes the folder when the process that started it
dies, however it dies, so no test run leaves a server behind.

Used by ``tests/conftest.py`` (one cluster per pytest run, shared by the xdist workers through
``PCTUI_TEST_PG``) and by ``bench/``. No pytest import here.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ENV_URL = "PCTUI_TEST_PG"  # the running cluster's admin URL, for child processes (xdist workers)
ENV_TEMPLATE = "PCTUI_TEST_PG_TEMPLATE"  # this run's migrated template database
ENV_OFF = "PCTUI_TEST_NO_PG"  # set to 1 to run the SQLite half only


def server_bindir() -> Path | None:
    """Where initdb/pg_ctl live: ``PCTUI_PG_BINDIR``, else PATH, else Debian's layout."""
    chosen = os.environ.get("PCTUI_PG_BINDIR")
    if chosen:
        return Path(chosen) if (Path(chosen) / "initdb").exists() else None
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def admin_url(socket_dir: str, database: str = "postgres") -> str:
    return f"postgresql://postgres@/{database}?host={socket_dir}"


class ThrowawayCluster:
    """Start with :meth:`start`, stop with :meth:`stop` (the watchdog also stops it)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = ""
        self._watchdog: subprocess.Popen[bytes] | None = None

    # -- running programs as the cluster's owner -----------------------------------------

    def _owner(self) -> pwd.struct_passwd | None:
        """The account that runs the server: ``postgres`` when we are root, else None (us)."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam("postgres")
        except KeyError as exc:
            raise RuntimeError("running as root, but there is no 'postgres' account to run the "
                               "server (initdb refuses root)") from exc

    def _run(self, *argv: str) -> None:
        owner = self._owner()
        kwargs: dict[str, object] = {}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8",
               "LANG": "C.UTF-8", "TZ": "UTC"}
        if owner is not None:
            kwargs = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
            env["HOME"] = owner.pw_dir
        done = subprocess.run(argv, env=env, cwd=self.folder, capture_output=True, text=True,
                              timeout=120, **kwargs)  # type: ignore[call-overload]
        if done.returncode != 0:
            raise RuntimeError(f"{Path(argv[0]).name} failed: {done.stdout}{done.stderr}")

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> str:
        """Create and start the cluster; returns the admin URL (database ``postgres``)."""
        self.folder = tempfile.mkdtemp(prefix="pctui-pg-")
        owner = self._owner()
        if owner is not None:
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        os.chmod(self.folder, 0o700)
        data = os.path.join(self.folder, "data")
        self._start_watchdog()
        self._run(str(self.bindir / "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        options = " ".join([
            "-c listen_addresses=''", f"-c unix_socket_directories='{self.folder}'",
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
            "-c shared_buffers=32MB", "-c max_connections=120", "-c timezone=UTC",
        ])  # fmt: skip
        self._run(str(self.bindir / "pg_ctl"), "-D", data, "-l",
                  os.path.join(self.folder, "server.log"), "-o", options, "-w", "-t", "60",
                  "start")  # fmt: skip
        return admin_url(self.folder)

    def _start_watchdog(self) -> None:
        """A child that waits for our end of a pipe to close, then stops and deletes the cluster."""
        code = (
            "import shutil, subprocess, sys\n"
            "sys.stdin.read()\n"
            "bindir, data, folder, user = sys.argv[1:5]\n"
            "cmd = [bindir + '/pg_ctl', '-D', data, '-m', 'immediate', '-w', 'stop']\n"
            "kw = {'user': user, 'extra_groups': []} if user else {}\n"
            "subprocess.run(cmd, capture_output=True, timeout=60, **kw)\n"
            "shutil.rmtree(folder, ignore_errors=True)\n"
        )
        owner = self._owner()
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", code, str(self.bindir), os.path.join(self.folder, "data"),
             self.folder, owner.pw_name if owner else ""],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl+C meant for pytest does not kill it before cleanup
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server and delete its folder (through the watchdog), and wait for it."""
        if self._watchdog is None:
            return
        assert self._watchdog.stdin is not None
        self._watchdog.stdin.close()
        try:
            self._watchdog.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self._watchdog.kill()
        self._watchdog = None


# -- databases inside a running cluster ---------------------------------------------------------


def _admin_connection(url: str):  # noqa: ANN202 - psycopg is imported lazily
    import psycopg

    from pctui.store.db import server_url

    params = server_url(url).translate_connect_args(username="user", database="dbname")
    params.update(server_url(url).query)
    return psycopg.connect(autocommit=True, connect_timeout=10, **params)


def create_database(url: str, name: str | None = None, template: str | None = "") -> str:
    """A new database, by default a copy of this run's migrated template; returns its URL."""
    name = name or f"t_{uuid.uuid4().hex[:16]}"
    if template == "":
        template = os.environ.get(ENV_TEMPLATE) or None
    clause = f' TEMPLATE "{template}"' if template else ""
    with _admin_connection(url) as conn:
        for attempt in range(50):  # a template being copied by another worker is "in use"
            try:
                conn.execute(f'CREATE DATABASE "{name}"{clause}')
                break
            except Exception as exc:  # noqa: BLE001
                if "is being accessed by other users" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.1)
    return _with_database(url, name)


def drop_database(url: str, name: str) -> None:
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _with_database(url: str, name: str) -> str:
    from pctui.store.db import server_url

    return server_url(url).set(database=name, drivername="postgresql").render_as_string(
        hide_password=False)


def prepare_template(url: str) -> str:
    """A template database with every migration applied and no database id (each copy gets its
    own); its name is unique to this run, so runs sharing one server never meet. Returns it."""
    from pctui.store.db import Store

    name = f"pctui_template_{uuid.uuid4().hex[:12]}"
    template_url = create_database(url, name, template=None)
    store = Store.open(template_url)
    with store.write() as session:
        from sqlmodel import delete

        from pctui.store.tables import Meta

        session.exec(delete(Meta))  # type: ignore[call-overload]
    store.close()
    with _admin_connection(url) as conn:  # only copies of it are ever opened
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    return name


def database_name(url: str) -> str:
    from pctui.store.db import server_url

    return server_url(url).database or ""


def dump_rows(url: str) -> bytes:
    """Every row of every table of a database, as text (bytea as its raw bytes)."""
    out: list[bytes] = []
    with _admin_connection(url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        for table in tables:
            for (row,) in conn.execute(f'SELECT t::text FROM "{table}" t'):
                out.append(row.encode())
            binary = [r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = %s AND data_type = 'bytea'", (table,))]
            for column in binary:
                for (value,) in conn.execute(f'SELECT "{column}" FROM "{table}"'):
                    if value is not None:
                        out.append(bytes(value))
    return b"\n".join(out)
