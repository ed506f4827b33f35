"""The command line: parses arguments, calls services, prints. Exit 0 ok, 1 rejected/failed, 2 usage."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from pctui import __version__
from pctui.core.money import display, json_amount
from pctui.core.text import visible
from pctui.core.wording import plural
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


def cmd_config(args: argparse.Namespace, store: Store) -> int:
    if args.config_command == "export":
        return _config_export(args, store)
    return _config_import(args, store)


def _config_export(args: argparse.Namespace, store: Store) -> int:
    from pathlib import Path

    from pctui.store import config_doc

    text = json.dumps(config_doc.export_config(store), indent=2, ensure_ascii=False) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return EXIT_OK
    target = Path(args.output)
    temp = target.with_name(f".{target.name}.partial")  # a reader never sees half a file
    try:
        temp.write_text(text, encoding="utf-8")
        temp.replace(target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        _err(f"cannot write {target}: {exc.strerror or exc}")
        return EXIT_FAILED
    print(f"Configuration written to {target}.")
    return EXIT_OK


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f'the key "{key}" appears twice in one object')
        seen[key] = value
    return seen


def _config_import(args: argparse.Namespace, store: Store) -> int:
    from pathlib import Path

    from pctui.store import config_doc, users

    name = args.file
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8-sig")
    except OSError as exc:
        _err(f"cannot read {name}: {exc.strerror or exc}")
        return EXIT_FAILED
    except UnicodeDecodeError as exc:
        _err(f"{name}: not UTF-8 text (byte {exc.start} cannot be read)")
        return EXIT_FAILED
    if not text.strip():
        _err(f"{name}: the file is empty; expected a JSON object with payers, rules, ...")
        return EXIT_FAILED
    try:
        doc = json.loads(text, object_pairs_hook=_no_repeated_keys)
    except json.JSONDecodeError as exc:
        _err(f"{name}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
        return EXIT_FAILED
    except ValueError as exc:
        _err(f"{name}: {exc}")
        return EXIT_FAILED
    actor = users.identify(store)
    try:
        report = config_doc.import_config(store, actor, doc)
    except ValidationFailed as exc:
        count = len(exc.errors)
        _err(f"{name}: {count} problem{'s' if count != 1 else ''}; nothing was imported")
        for path, problem in exc.errors.items():
            print(f"{path}: {problem}", file=sys.stderr)
        if args.json:
            _print_json({"file": name, "status": "rejected", "errors": [
                {"path": path, "problem": problem} for path, problem in exc.errors.items()]})
        return EXIT_FAILED
    if args.json:
        _print_json({"file": name, "status": "imported", **report.as_json()})
    else:
        print(f"{name}: imported." if report.any_change else f"{name}: already up to date.")
        for line in report.describe():
            print(line)
    return EXIT_OK


def _progress_bar(done: int, total: int, current: str) -> None:
    """A one-line progress bar on stderr, redrawn in place (terminals only)."""
    width = 30
    filled = width * done // max(total, 1)
    name = current if len(current) <= 40 else "..." + current[-37:]
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name}\x1b[K")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def cmd_import(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import intake, users

    if not args.paths and not args.validate_pending:
        _err("import: give at least one file or folder (or --validate-pending)")
        return EXIT_USAGE
    actor = users.identify(store)
    progress = _progress_bar if sys.stderr.isatty() and args.paths else None
    results = intake.import_paths(
        store, args.paths, actor, progress,
        validate_below_segments=intake.INLINE_VALIDATION_MAX_SEGMENTS,
    )  # fmt: skip
    runs = intake.validate_pending(store) if args.validate_pending else []
    if args.json:
        _print_json([r.to_json() for r in results])
    else:
        _print_import_results(results, runs)
    failed = any(r.status is intake.ImportStatus.REJECTED for r in results)
    return EXIT_FAILED if failed else EXIT_OK


def _print_import_results(results: list[Any], runs: list[Any]) -> None:
    if not results and not runs:
        print("no files found")
    for r in results:
        what = f"{r.status.value:<9} {r.kind or '-':<4} {r.file}"
        done = []
        if r.created:
            done.append(plural(len(r.created), "payment" if r.kind == "835" else "claim")
                        + " stored")
        if r.replaced:
            done.append(f"{plural(len(r.replaced), 'claim')} replaced")
        if r.voided:
            done.append(f"{plural(len(r.voided), 'claim')} voided")
        if r.conflicts:
            done.append(f"{plural(len(r.conflicts), 'conflict')} kept apart for a biller")
        if done:
            what += f"  ({', '.join(done)})"
        if r.validation_state.value == "pending":
            what += "  [full 5010 validation pending]"
        print(what)
        for error in r.errors:
            print(f"    rejected: {error}")
        for finding in r.findings:
            print(f"    {finding.finding.severity.value}: {finding.text}")
    for run in runs:
        print(f"validated {run.filename}: {plural(len(run.findings), 'finding')} "
              f"({run.segments} segments in {run.seconds:.1f} s)")
        for finding in run.findings:
            print(f"    {finding.finding.severity.value}: {finding.text}")


def cmd_eras(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import eras

    if args.rejected:
        refused = eras.rejected_files(store, include_duplicates=True, limit=args.limit)
        if args.json:
            _print_json([f.to_json() for f in refused])
        else:
            _table([[str(f.id), f"{f.loaded_at:%Y-%m-%d %H:%M}", f.status, f.filename,
                     "; ".join(f.reasons)] for f in refused],
                   ["ID", "LOADED", "STATUS", "FILE", "WHY"])
        return EXIT_OK
    filters = eras.EraFilter(
        paid_from=args.paid_from, paid_to=args.paid_to, check_number=args.check,
        inbound=args.inbound, loaded_from=args.loaded_from, loaded_to=args.loaded_to,
        status=eras.EraStatus(args.status) if args.status else None,
    )  # fmt: skip
    rows = eras.list_eras(store, filters, limit=args.limit)
    if args.json:
        _print_json([r.to_json() for r in rows])
    else:
        _table([[str(r.id), f"{r.loaded_at:%Y-%m-%d}", r.check_number, r.inbound_id,
                 r.payer_code or r.payer, r.payment_date.isoformat() if r.payment_date else "",
                 display(r.amount), str(r.claims), r.status.label] for r in rows],
               ["ID", "LOADED", "CHECK/EFT", "INBOUND ID", "PAYER", "PAID ON", "AMOUNT",
                "CLAIMS", "STATUS"])
    return EXIT_OK


def cmd_release(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import release, users

    actor = users.identify(store)
    actor.require_release()
    if args.batch is not None and not args.batch.strip():
        _err("release: --batch must not be empty (leave it out to have one generated)")
        return EXIT_USAGE
    progress = _release_progress if sys.stderr.isatty() and len(args.ids) > 1 else None
    results = release.release_eras(store, actor, args.ids, args.deposit_date, args.batch,
                                   progress, confirm_early_deposit=args.confirm_early_deposit)
    if args.json:
        _print_json([r.to_json() for r in results])
    else:
        _print_release_results(results)
    for r in results:  # a cron mail shows why, whatever the output format
        if not r.released:
            hint = (" (add --confirm-early-deposit if that date is right)"
                    if "before the payment date" in r.message else "")
            _err(f"payment #{r.era_id} was not released: {r.message}{hint}")
    return EXIT_OK if all(r.released for r in results) else EXIT_FAILED


def cmd_void(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import users
    from pctui.store.void import VoidRefused, void_release

    actor = users.identify(store)
    try:
        result = void_release(store, actor, args.id, args.reason)
    except VoidRefused as exc:
        _err(f"payment #{args.id}: {exc}")
        if args.json:
            _print_json({"id": args.id, "status": "refused", "errors": [str(exc)]})
        return EXIT_FAILED
    if args.json:
        _print_json(result.to_json())
    else:
        print(f"#{result.era_id} voided (release #{result.release_id}, batch {result.batch}): "
              f"{result.message}")
    return EXIT_OK


def cmd_batches(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import batches

    reports = batches.batch_reports(store, args.deposit_from, args.deposit_to)
    if args.json:
        _print_json([r.to_json() for r in reports])
        return EXIT_OK
    if not reports:
        print("no batches")
    for report in reports:
        print(f"{report.deposit_date}  {report.number}  {plural(report.payment_count, 'payment')}"
              f"  total {display(report.total)}")
        for p in report.payments:
            paid_on = p.payment_date.isoformat() if p.payment_date else ""
            print(f"    #{p.era_id:<6} {p.check_number:<20} {p.payer:<10} {paid_on:<10} "
                  f"{display(p.amount):>12}  {p.status.replace('_', ' ')}".rstrip())
        for r in report.reworks:
            print(f"    rework #{r.rework_id} of payment #{r.era_id} ({r.check_number}): "
                  f"{plural(r.claims_posted, 'claim')} posted by {r.reworked_by}")
    return EXIT_OK


def cmd_errors(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import rework, users

    if args.errors_command == "close":
        actor = users.identify(store)
        line = rework.close_line(store, actor, args.id, args.note)
        if args.json:
            _print_json(_line_json(line))
        else:
            print(f"line #{line.id} closed: {visible(line.text)}")
        return EXIT_OK
    lines = rework.open_lines(store)
    ready = rework.rework_readiness(store, [line.id for line in lines]) if args.check else {}
    if args.json:
        _print_json([{**_line_json(line), **({"rework": ready[line.id]} if ready else {})}
                     for line in lines])  # fmt: skip
        return EXIT_OK
    if not lines:
        print("no open error-report lines")
    _table([[str(line.id), f"#{line.era_id}", visible(line.check_number), visible(line.claim_id),
             "yes" if line.reworkable else "no", visible(line.text),
             *([ready.get(line.id, "")] if ready else [])] for line in lines],
           ["LINE", "PAYMENT", "CHECK/EFT", "CLAIM", "REWORK", "ERROR",
            *(["NOW"] if ready else [])])  # fmt: skip
    return EXIT_OK


def _line_json(line: Any) -> dict[str, Any]:
    return {"id": line.id, "payment": line.era_id, "check_number": line.check_number,
            "claim_id": line.claim_id, "kind": line.kind, "text": line.text,
            "amount": json_amount(line.amount) if line.amount is not None else None,
            "reworkable": line.reworkable, "state": line.state, "note": line.note}  # fmt: skip


def cmd_rework(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import rework, users

    actor = users.identify(store)
    results = rework.rework_lines(store, actor, args.ids, args.batch)
    if args.json:
        _print_json([r.to_json() for r in results])
    else:
        for r in results:
            print(f"#{r.era_id} {r.status}: {visible(r.message)}")
            for line in r.errors:
                print(f"    {visible(line)}")
    done = all(r.status == rework.ReworkStatus.REWORKED for r in results)
    return EXIT_OK if done else EXIT_FAILED


def _release_progress(done: int, total: int, result: Any) -> None:
    _progress_bar(done, total, f"payment #{result.era_id} {result.status}")


def _print_release_results(results: list[Any]) -> None:
    for r in results:
        where = f" batch {r.batch}, deposit {r.deposit_date}" if r.released else ""
        print(f"#{r.era_id} {r.status}{where}: {visible(r.message)}")
        for line in r.errors:
            print(f"    {visible(line)}")
        for line in r.reworked:
            print(f"    reworked: {visible(line)}")


def cmd_claims(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import claims

    rows = []
    page = 5_000
    while True:  # paged so a very large list never needs one huge query
        chunk = claims.list_claims(store, args.search, offset=len(rows), limit=page)
        rows.extend(chunk)
        if len(chunk) < page:
            break
    if args.json:
        _print_json([_claim_json(r) for r in rows])
    else:
        _table([[r.claim_id, r.patient_name, display(r.charge), display(r.paid),
                 display(r.adjusted), *(display(r.balance[p]) for p in _PARTIES)] for r in rows],
               ["CLAIM", "PATIENT", "CHARGE", "PAID", "ADJUSTED", "PRIMARY", "SECONDARY",
                "TERTIARY", "PATIENT OWES"])  # fmt: skip
    return EXIT_OK


_PARTIES = ("primary", "secondary", "tertiary", "patient")


def _claim_json(row: Any) -> dict[str, Any]:
    return {
        "claim_id": row.claim_id,
        "patient_name": row.patient_name,
        "service_date": row.service_date.isoformat() if row.service_date else None,
        "charge": json_amount(row.charge),
        "paid": json_amount(row.paid),
        "adjusted": json_amount(row.adjusted),
        "balance": {str(party): json_amount(amount) for party, amount in row.balance.items()},
        "voided": row.voided,
    }


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


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

    config = sub.add_parser(
        "config", help="payers, rules, CARC overrides and connections as one JSON document",
        description="Export or import the configuration (SPEC 3 shape plus custom posting codes). "
        "API keys are never exported or imported.",
    )  # fmt: skip
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    export = config_sub.add_parser("export", help="print the configuration as JSON")
    export.add_argument("--output", "-o", metavar="FILE",
                        help="write to FILE instead of standard output")
    config_import = config_sub.add_parser(
        "import", parents=[json_parent], help="create or update what a JSON document describes",
        description="Checks the whole document first; with any problem nothing changes and each "
        "problem is printed as `path: problem`. Otherwise applies it in one transaction. "
        "Nothing absent from the document is deleted. Importing it twice changes nothing.",
    )  # fmt: skip
    config_import.add_argument("file", metavar="FILE", help="the JSON document (- for stdin)")
    config.set_defaults(handler=cmd_config)

    imp = sub.add_parser(
        "import", parents=[json_parent], help="import 835 and 837P files (a folder: every file inside)",
        description="Import 835 remittances and 837P claims, one result per file. A folder means "
        "every file directly inside it (not sub-folders or hidden files). Files under "
        "20,000 segments also get pyx12's full 5010 validation now; larger ones are validated "
        "later by the app or by --validate-pending.",
    )  # fmt: skip
    imp.add_argument("paths", nargs="*", metavar="PATH", help="files or folders")
    imp.add_argument("--validate-pending", action="store_true",
                     help="also run full validation for every imported 835 still waiting for it")
    imp.set_defaults(handler=cmd_import)

    eras_cmd = sub.add_parser("eras", parents=[json_parent], help="list 835 payments")
    eras_cmd.add_argument("--status", choices=["ready", "no_payer_rule", "released",
                                               "released_with_errors"])
    eras_cmd.add_argument("--check", metavar="TEXT", help="check/EFT number contains TEXT")
    eras_cmd.add_argument("--inbound", metavar="ID", help="an Inbound ID, payer code or payer name")
    eras_cmd.add_argument("--paid-from", type=_iso_date, metavar="YYYY-MM-DD")
    eras_cmd.add_argument("--paid-to", type=_iso_date, metavar="YYYY-MM-DD")
    eras_cmd.add_argument("--loaded-from", type=_iso_date, metavar="YYYY-MM-DD")
    eras_cmd.add_argument("--loaded-to", type=_iso_date, metavar="YYYY-MM-DD")
    eras_cmd.add_argument("--limit", type=int, metavar="N", help="at most N rows")
    eras_cmd.add_argument("--rejected", action="store_true",
                          help="list rejected and duplicate files with their reasons instead")
    eras_cmd.set_defaults(handler=cmd_eras)

    rel = sub.add_parser(
        "release", parents=[json_parent], help="release 835 payments (post them onto claims)",
        description="Release 835 payments by id (see `pctui eras`), one result per payment. "
        "Each payment is posted in one transaction: all of it or nothing. Exit 0 when every "
        "payment was released (with or without error-report lines), 1 when any was refused.",
    )  # fmt: skip
    rel.add_argument("ids", nargs="+", type=int, metavar="ID", help="payment ids")
    rel.add_argument("--deposit-date", required=True, type=_iso_date, metavar="YYYY-MM-DD")
    rel.add_argument("--batch", metavar="B",
                     help="batch number (default: the next free B<deposit date>-NN, taken "
                     "when the release runs)")
    rel.add_argument("--confirm-early-deposit", action="store_true",
                     help="the deposit date is before a payment's date, and that is right")
    rel.set_defaults(handler=cmd_release)

    void = sub.add_parser(
        "void", parents=[json_parent], help="void a released payment (admin)",
        description="Undo a release with exact negating ledger entries (its rework too); the "
        "payment is Ready again. Refused while a later posting on the same claims depends on "
        "it (they are named: void those first).",
    )  # fmt: skip
    void.add_argument("id", type=int, metavar="ID", help="payment id")
    void.add_argument("--reason", required=True, metavar="TEXT", help="why (kept in the audit log)")
    void.set_defaults(handler=cmd_void)

    batches_cmd = sub.add_parser(
        "batches", parents=[json_parent],
        help="deposit dates and batches with their payments and totals",
        description="Per deposit date and batch, the payments released in it and their total, "
        "to match against the bank deposit. Voided releases are listed but not counted.",
    )  # fmt: skip
    batches_cmd.add_argument("--from", dest="deposit_from", type=_iso_date, metavar="YYYY-MM-DD")
    batches_cmd.add_argument("--to", dest="deposit_to", type=_iso_date, metavar="YYYY-MM-DD")
    batches_cmd.set_defaults(handler=cmd_batches)

    errors_cmd = sub.add_parser(
        "errors", parents=[json_parent], help="the worklist of open error-report lines",
        description="Every open error-report line across released payments. `pctui errors "
        "close ID --note TEXT` closes one by hand; `pctui rework ID...` posts reworkable ones.",
    )  # fmt: skip
    errors_cmd.add_argument("--check", action="store_true",
                            help="also say what reworking each line would do now")
    errors_sub = errors_cmd.add_subparsers(dest="errors_command", metavar="ACTION")
    close = errors_sub.add_parser("close", parents=[json_parent],
                                  help="close an error-report line by hand, with a note")
    close.add_argument("id", type=int, metavar="ID", help="error-report line id")
    close.add_argument("--note", required=True, metavar="TEXT", help="how it was worked")
    errors_cmd.set_defaults(handler=cmd_errors)

    rework_cmd = sub.add_parser(
        "rework", parents=[json_parent],
        help="post the claim payments of error-report lines whose cause is fixed",
        description="Each line's claim payment is posted as a release would post it now, in its "
        "own transaction, recorded with the original payment, a batch and you. A line whose "
        "cause is not fixed yet stays open (exit 1).",
    )  # fmt: skip
    rework_cmd.add_argument("ids", nargs="+", type=int, metavar="ID", help="error-report line ids")
    rework_cmd.add_argument("--batch", metavar="B",
                            help="batch to record the rework in (default: the release's)")
    rework_cmd.set_defaults(handler=cmd_rework)

    claims_cmd = sub.add_parser("claims", parents=[json_parent],
                                help="list claims with their balances")
    claims_cmd.add_argument("--search", metavar="TEXT", help="claim id or patient contains TEXT")
    claims_cmd.set_defaults(handler=cmd_claims)
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
    except BrokenPipeError:
        # `pctui eras | head`: the reader left; say nothing more (and silence the flush at exit)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
