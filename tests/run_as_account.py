"""python run_as_account.py UID GID GROUPS UMASK ARGV... (or ``--python CODE``) — see
tests/accounts.py.

Everything pctui may import is imported first (the interpreter's own files may be unreadable
to the target account), then the process becomes UID/GID and runs ``pctui ARGV``.
"""

import importlib
import os
import pkgutil
import sys

uid, gid, groups, umask = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4], 8)
argv = sys.argv[5:]

import pctui  # noqa: E402

for module in pkgutil.walk_packages(pctui.__path__, "pctui."):
    if not module.name.startswith(("pctui.ui", "pctui.store.migrations", "pctui.__main__")):
        importlib.import_module(module.name)
for name in ("sqlite3", "sqlalchemy.dialects.sqlite", "sqlalchemy.dialects.sqlite.pysqlite",
             "alembic.runtime.migration", "alembic.operations", "alembic.autogenerate",
             "alembic.ddl.sqlite", "keyrings.cryptfile.cryptfile", "argon2", "Crypto.Cipher.AES",
             "encodings.utf_8_sig", "encodings.latin_1", "encodings.ascii", "encodings.idna",
             "json", "ctypes", "resource", "fcntl", "pwd", "decimal", "uuid", "configparser",
             "hypothesis", "pyx12.x12file", "pyx12.error_handler", "pyx12.x12context",
             "pyx12.map_if", "pyx12.params"):
    try:
        importlib.import_module(name)
    except ImportError:
        pass
# Alembic reads its migration scripts from the source tree (readable by every account).
os.umask(umask)
if uid >= 0:
    os.setgroups([int(g) for g in groups.split(",") if g])
    os.setgid(gid if gid >= 0 else uid)
    os.setuid(uid)

from pctui.cli import main  # noqa: E402

if argv[:1] == ["--python"]:  # a snippet instead of a command (e.g. to use the keyring)
    exec(argv[1])
else:
    sys.exit(main(argv))
