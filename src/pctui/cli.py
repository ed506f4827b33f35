"""The command line: parses arguments, calls services, prints. Exit 0 ok, 1 rejected/failed, 2 usage."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pctui import __version__
from pctui.store.db import Store, StoreError, default_db_path
from pctui.store.errors import NotFound, PermissionDenied, ValidationFailed

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def _table(rows: list[list[str]], headers: list[str]) -> None:
    """A plain fixed-width table for people reading a terminal or a cron mail."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _err(message: str) -> None:
    print(f"pctui: {message}", file=sys.stderr)


# --- commands -------------------------------------------------------------------------------


def cmd_app(args: argparse.Namespace, store: Store) -> int:
    from pctui.ui.app import PctuiApp

    PctuiApp(store=store).run()
    return EXIT_OK


def cmd_users(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import users

    actor = users.identify(store)
    if args.users_command == "add":
        user = users.add_user(store, actor, args.name, args.role)
        if args.json:
            _print_json({"login": user.login, "role": user.role})
        else:
            print(f"{user.login} is now {user.role}")
        return EXIT_OK
    rows = users.list_users(store)
    if args.json:
        _print_json([{"login": u.login, "role": u.role, "active": u.active} for u in rows])
    else:
        _table([[u.login, u.role, "yes" if u.active else "no"] for u in rows],
               ["LOGIN", "ROLE", "ACTIVE"])
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, store: Store) -> int:
    from pctui.secrets import SecretStore
    from pctui.store import demo, users

    actor = users.identify(store)
    secrets = SecretStore.for_database(store.path, store.database_id)
    summary = demo.build_demo(store, actor, secrets)
    if args.json:
        _print_json(summary)
    else:
        for line in demo.describe(summary):
            print(line)
    return EXIT_OK


# --- parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pctui",
        description="Payer connections, payer rules and 835 release for medical billing.",
        epilog=f"Default database: {default_db_path()} (override with --db or PCTUI_DB).",
    )
    parser.add_argument("--db", metavar="PATH", help="SQLite database file (default: PCTUI_DB, "
                        "else pctui.db in your data directory)")
    parser.add_argument("--version", action="version", version=f"pctui {__version__}")
    json_parent = argparse.ArgumentParser(add_help=False)
    json_parent.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", parents=[json_parent], help="fill the database with demo data")
    demo.set_defaults(handler=cmd_demo)

    users = sub.add_parser("users", help="who may change what")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users_sub.add_parser("add", parents=[json_parent], help="add a user or change a role")
    add.add_argument("name", help="the OS login name")
    add.add_argument("--role", required=True, choices=["admin", "biller"])
    users_sub.add_parser("list", parents=[json_parent], help="list users")
    users.set_defaults(handler=cmd_users)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace, Store], int] = getattr(args, "handler", cmd_app)
    try:
        store = Store.open(args.db)
    except StoreError as exc:
        _err(str(exc))
        return EXIT_FAILED
    try:
        return handler(args, store)
    except PermissionDenied as exc:
        _err(str(exc))
        return EXIT_FAILED
    except ValidationFailed as exc:
        for field, problem in exc.errors.items():
            _err(f"{field}: {problem}")
        return EXIT_FAILED
    except NotFound as exc:
        _err(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
