"""A busy morning: releases, imports, a configuration import and lookups started at the same
moment from several terminals. Every one finishes (or is refused for a reason), none prints a
traceback or a raw "database is locked", and every payment is released exactly once."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from tests.accounts import run_pctui, run_pctui_command, run_pctui_env
from tests.cli.test_shared_server import ERA, me

from pctui.store import config_doc, demo
from pctui.store.db import Store

pytestmark = pytest.mark.sqlite_only  # files, WAL, locks and modes of a SQLite database


def test_releases_imports_and_a_config_import_at_once_all_finish(store, admin, secrets,
                                                                db_path: Path,
                                                                tmp_path: Path) -> None:
    from pctui.core.codes import Role
    from pctui.store import users

    demo.build_demo(store, admin, secrets)
    users.add_user(store, admin, me(), Role.ADMIN)
    doc = tmp_path / "config.json"
    doc.write_text(json.dumps(config_doc.export_config(store)))
    store.close()
    ready = [e["id"] for e in json.loads(run_pctui("--db", str(db_path), "eras", "--status",
                                                   "ready", "--json").stdout)][:5]
    assert ready
    era_copy = tmp_path / "second.835"
    era_copy.write_text(ERA.read_text().replace("7170066655", "7170066656"))
    commands = [
        *(["release", str(i), "--deposit-date", "2026-12-01", "--confirm-early-deposit", "--json"]
          for i in ready),  # the demo pays today: a fixed deposit date may come first
        ["release", str(ready[0]), "--deposit-date", "2026-12-01", "--confirm-early-deposit",
         "--json"],  # the same payment twice: released once only
        ["import", str(ERA)], ["import", str(era_copy)],
        ["config", "import", str(doc)],
        ["users", "list"], ["eras"], ["claims"],
    ]
    running = [subprocess.Popen(run_pctui_command("--db", str(db_path), *argv),
                                env=run_pctui_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd="/")
               for argv in commands]
    finished = [(argv, p.wait(timeout=300), *p.communicate()) for argv, p in
                zip(commands, running, strict=True)]
    for argv, code, _, err in finished:
        assert "Traceback" not in err and "database is locked" not in err, (argv, err)
        assert code in (0, 1), (argv, code, err)
    released = [json.loads(out)[0] for argv, _, out, _ in finished if argv[0] == "release"]
    by_id: dict[int, list[str]] = {}
    for result in released:
        by_id.setdefault(result["id"], []).append(result["status"])
    for era_id, statuses in by_id.items():
        assert sum(s.startswith("released") for s in statuses) == 1, (era_id, statuses)
    assert all(code == 0 for argv, code, _, _ in finished if argv[0] != "release")
    check = run_pctui("--db", str(db_path), "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert os.path.exists(db_path)
    Store.open(db_path, create=False).close()
