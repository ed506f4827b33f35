"""Run the real `pctui` command as another OS account (a second user on the billing server).

On this machine the Python interpreter lives under /root (pyenv), which other accounts cannot
read, so a plain setuid before exec would fail. The runner imports everything pctui needs while
still root, then drops to the account (groups, gid, uid — in that order) and calls the command
line. Tests that need it skip, with the reason, when not running as root.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).with_name("run_as_account.py")

needs_root = pytest.mark.skipif(os.geteuid() != 0,
                                reason="running pctui as a second OS account needs root here")


def account(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pytest.skip(f"this machine has no {name!r} account")


def run_pctui_env(env: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PCTUI_KEYRING": "memory",
        "HOME": "/nonexistent",
        "LANG": "C.UTF-8",
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}),
        **(env or {}),
    }


def run_pctui_command(*argv: str, uid: int | None = None, gid: int | None = None,
                      groups: tuple[int, ...] = (), umask: int = 0o022) -> list[str]:
    return [sys.executable, str(RUNNER), str(-1 if uid is None else uid),
            str(-1 if gid is None else gid), ",".join(map(str, groups)), oct(umask), *argv]


def run_pctui(*argv: str, uid: int | None = None, gid: int | None = None,
              groups: tuple[int, ...] = (), env: dict[str, str] | None = None,
              stdin: str | None = None, timeout: float = 120,
              umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    """``pctui ARGV`` in a fresh process; as ``uid``/``gid`` when given (root only)."""
    return subprocess.run(run_pctui_command(*argv, uid=uid, gid=gid, groups=groups, umask=umask),
                          env=run_pctui_env(env), input=stdin, capture_output=True, text=True,
                          timeout=timeout, cwd="/")

NOGROUP = 65534  # the `nobody` account's group on Debian/Ubuntu


@pytest.fixture
def shared_folder():
    """A folder set up as the README says for a database shared by a group: group-owned,
    setgid, 2770 — the group being `nobody`'s, so the second account is a member."""
    import shutil
    import tempfile

    if os.geteuid() != 0:
        pytest.skip("setting up a group-owned folder for a second account needs root here")
    nobody = account("nobody")
    folder = Path(tempfile.mkdtemp(prefix="pctui-shared-", dir="/tmp"))
    os.chown(folder, 0, nobody.pw_gid)
    os.chmod(folder, 0o2770)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def open_folder():
    """A folder any account may reach (not under root's private pytest tmp)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="pctui-open-", dir="/tmp"))
    os.chmod(folder, 0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
