"""The command line: parses arguments, calls services, prints. Exit 0 ok, 1 rejected/failed, 2 usage.

Error policy (SPEC 3): every failure a user can meet ends as one plain ``pctui: ...`` line on
stderr — bad input, a busy, read-only, full or damaged database, a missing file — never a
traceback, and never SQL parameters (patient data). An unexpected internal error is named by
its type only; ``PCTUI_DEBUG=1`` shows the traceback to a developer. Everything printed that came
from a file, a payer or a user goes through :func:`pctui.core.text.visible`, so control
characters never reach the terminal. Only the app, ``import``, ``demo``, ``users add``,
``config import`` and ``share`` start a new database; every other command opens it with
``create=False`` (``creates=False`` on its parser): a mistyped ``--db`` is an error, never a
new database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, NoReturn

from pctui import __version__
from pctui.core.money import display, json_amount
from pctui.core.text import visible
from pctui.core.wording import plural
from pctui.store.db import Store, default_location, shown_location
from pctui.store.errors import NotFound, PermissionDenied, ValidationFailed

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEBUG_ENV = "PCTUI_DEBUG"


def _print_json(data: Any) -> None:
    # ensure_ascii: every control or invisible character is a \u escape, never raw
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def _out(line: object = "") -> None:
    """One line of output; text from files and users shown, never obeyed (``\x1b`` stays text)."""
    print(visible(line))


def _table(rows: list[list[str]], headers: list[str]) -> None:
    """A plain fixed-width table for people reading a terminal or a cron mail."""
    rows = [[visible(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _err(message: str) -> None:
    print(f"pctui: {visible(message)}", file=sys.stderr)


def _json_text(text: str) -> str:
    """JSON text (written with ensure_ascii=False for people) with every control or invisible
    character inside its strings written as a \\u escape: still the same JSON value."""
    if visible(text, keep_newlines=True) == text:
        return text
    out = []
    for ch in text:
        if ch != "\n" and visible(ch) != ch:
            out.append(json.dumps(ch, ensure_ascii=True)[1:-1])  # beyond U+FFFF: a pair
        else:
            out.append(ch)
    return "".join(out)


def open_secrets(store: Store) -> Any:
    """The keyring of this database; a wrong ``PCTUI_KEYRING_PASSPHRASE`` is said, not hidden."""
    from pctui.secrets import SecretStore

    secrets = SecretStore.for_database(store.path, store.database_id)
    if secrets.passphrase_problem:
        _err(secrets.passphrase_problem)
    return secrets


# --- commands -------------------------------------------------------------------------------


def cmd_app(args: argparse.Namespace, store: Store) -> int:
    from pctui.ui.app import PctuiApp

    app = PctuiApp(store=store)
    app.run()
    return EXIT_OK if not app.return_code else EXIT_FAILED


def cmd_users(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import users

    if args.users_command != "list":
        actor = users.identify(store)
        if args.users_command == "add":
            user = users.add_user(store, actor, args.name, args.role)
        elif args.users_command == "role":
            user = users.set_role(store, actor, args.name, args.role)
        else:
            user = users.set_active(store, actor, args.name, args.users_command == "reactivate")
        if args.json:
            _print_json({"login": user.login, "role": user.role, "active": user.active})
        else:
            _out(f"{user.login} is now {user.role}" + ("" if user.active else " (deactivated)"))
        return EXIT_OK
    rows = users.list_users(store)
    if args.json:
        _print_json([{"login": u.login, "role": u.role, "active": u.active} for u in rows])
    else:
        _table([[u.login, u.role, "yes" if u.active else "no"] for u in rows],
               ["LOGIN", "ROLE", "ACTIVE"])
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import demo, users

    actor = users.identify(store)
    secrets = open_secrets(store)
    summary = demo.build_demo(store, actor, secrets)
    if args.json:
        _print_json(summary)
    else:
        for line in demo.describe(summary):
            _out(line)
    return EXIT_OK


def cmd_config(args: argparse.Namespace, store: Store) -> int:
    if args.config_command == "export":
        return _config_export(args, store)
    return _config_import(args, store)


def _config_export(args: argparse.Namespace, store: Store) -> int:
    from pathlib import Path

    from pctui.store import config_doc, files

    doc = config_doc.export_config(store)
    text = _json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return EXIT_OK
    target = Path(args.output)
    try:  # whole or not at all, and never readable by every account (0600, or 0660 shared)
        files.write_private(target, text.encode("utf-8"))
    except OSError as exc:
        _err(f"cannot write {target}: {exc.strerror or exc}")
        return EXIT_FAILED
    _out(f"Configuration written to {target}.")
    return EXIT_OK


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f'the key "{key}" appears twice in one object')
        seen[key] = value
    return seen


MAX_DOCUMENT_DEPTH = 32
MAX_NUMBER_DIGITS = 30


def _modest_int(text: str) -> int:
    """A JSON integer, refused in words when absurdly long (Python's own limit would say
    "use sys.set_int_max_str_digits()" to a biller)."""
    digits = len(text.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number {digits:,} digits long (nothing in a configuration document "
                         "is); nothing was imported")
    return int(text)


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
    return deepest


MAX_DOCUMENT_BYTES = 32 << 20  # a practice's whole setup is well under a megabyte


class _DocumentRefused(Exception):
    """The configuration document is not a regular file of modest size (message for people)."""


def _document_bytes(name: str) -> bytes:
    """The bytes of a configuration document: a regular file (a named pipe nobody writes to
    would wait forever, a device such as /dev/zero never ends) or standard input, at most
    MAX_DOCUMENT_BYTES either way."""
    import stat

    too_big = _DocumentRefused(
        f"the file is larger than a configuration document can be "
        f"({MAX_DOCUMENT_BYTES >> 20} MB)")  # fmt: skip
    if name == "-":
        stream = getattr(sys.stdin, "buffer", None)  # None: a text stream already (embedded)
        data = (stream.read(MAX_DOCUMENT_BYTES + 1) if stream is not None else
                sys.stdin.read(MAX_DOCUMENT_BYTES + 1).encode("utf-8", "surrogatepass"))
        if len(data) > MAX_DOCUMENT_BYTES:
            raise too_big
        return data
    # Non-blocking: opening a FIFO must not wait for a writer; what it is comes from the
    # opened file itself, so a path swapped in between is caught too.
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _DocumentRefused("this is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else
                    "a character device" if stat.S_ISCHR(info.st_mode) else
                    "a block device" if stat.S_ISBLK(info.st_mode) else
                    "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
            raise _DocumentRefused(f"this is {kind}, not a regular file: only regular files "
                                   "are read")
        if info.st_size > MAX_DOCUMENT_BYTES:
            raise too_big
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > MAX_DOCUMENT_BYTES:  # it grew while being read
                raise too_big
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _config_import(args: argparse.Namespace, store: Store) -> int:

    from pctui.store import config_doc, users

    name = args.file
    try:
        data = _document_bytes(name)
    except _DocumentRefused as exc:
        _err(f"{name}: {exc}; nothing was imported")
        return EXIT_FAILED
    except OSError as exc:
        _err(f"cannot read {name}: {exc.strerror or exc}")
        return EXIT_FAILED
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _err(f"{name}: not UTF-8 text (byte {exc.start} cannot be read)")
        return EXIT_FAILED
    if not text.strip():
        _err(f"{name}: the file is empty; expected a JSON object with payers, rules, ...")
        return EXIT_FAILED
    try:
        doc = json.loads(text, object_pairs_hook=_no_repeated_keys, parse_int=_modest_int)
    except json.JSONDecodeError as exc:
        _err(f"{name}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
        return EXIT_FAILED
    except ValueError as exc:
        _err(f"{name}: {exc}")
        return EXIT_FAILED
    except RecursionError:
        _err(f"{name}: nested too deeply (a configuration document is a few levels deep); "
             "nothing was imported")
        return EXIT_FAILED
    if _depth(doc) > MAX_DOCUMENT_DEPTH:
        _err(f"{name}: nested more than {MAX_DOCUMENT_DEPTH} levels deep (a configuration "
             "document is a few levels deep); nothing was imported")
        return EXIT_FAILED
    actor = users.identify(store)
    try:
        report = config_doc.import_config(store, actor, doc)
    except ValidationFailed as exc:
        count = len(exc.errors)
        _err(f"{name}: {count} problem{'s' if count != 1 else ''}; nothing was imported")
        for path, problem in exc.errors.items():
            print(visible(f"{path}: {problem}"), file=sys.stderr)
        if args.json:
            _print_json({"file": name, "status": "rejected", "errors": [
                {"path": path, "problem": problem} for path, problem in exc.errors.items()]})
        return EXIT_FAILED
    if args.json:
        _print_json({"file": name, "status": "imported", **report.as_json()})
    else:
        _out(f"{name}: imported." if report.any_change else f"{name}: already up to date.")
        for line in report.describe():
            _out(line)
    return EXIT_OK


def _progress_bar(done: int, total: int, current: str) -> None:
    """A one-line progress bar on stderr, redrawn in place (terminals only)."""
    width = 30
    filled = width * done // max(total, 1)
    current = visible(current)
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
        _out("no files found")
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
        _out(what)
        for error in r.errors:
            _out(f"    rejected: {error}")
        for finding in r.findings:
            _out(f"    {finding.finding.severity.value}: {finding.text}")
    for run in runs:
        _out(f"validated {run.filename}: {plural(len(run.findings), 'finding')} "
             f"({run.segments} segments in {run.seconds:.1f} s)")
        for finding in run.findings:
            _out(f"    {finding.finding.severity.value}: {finding.text}")


def cmd_eras(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import eras

    if args.rejected:
        refused = eras.rejected_files(store, include_duplicates=True, limit=args.limit)
        if args.csv:
            return _write_csv(args.csv, "file", ["ID", "LOADED", "STATUS", "FILE", "WHY"],
                              ([f.id, f.loaded_at, f.status, f.filename, "; ".join(f.reasons)]
                               for f in refused))
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
    if args.csv:
        return _write_csv(args.csv, "payment",
                          ["ID", "LOADED", "CHECK/EFT", "INBOUND ID", "PAYER CODE", "PAYER NAME",
                           "PAID ON", "AMOUNT", "CLAIMS", "STATUS"],
                          ([r.id, r.loaded_at, r.check_number, r.inbound_id, r.payer_code,
                            r.payer, r.payment_date, r.amount, r.claims, r.status.label]
                           for r in rows))
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
    # Why a payment was not released also goes to stderr (a cron mail, stdout in a file or as
    # JSON), unless both are the same terminal, where the result line above already says it.
    told = not args.json and sys.stdout.isatty() and sys.stderr.isatty()
    for r in results:
        if not r.released and not told:
            hint = (" (add --confirm-early-deposit if that date is right)"
                    if "before the payment date" in r.message else "")
            said = r.message.removeprefix(f"Payment #{r.era_id} was not released: ")
            _err(f"payment #{r.era_id} was not released: {said}{hint}")
    return EXIT_OK if all(r.released for r in results) else EXIT_FAILED


def cmd_void(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import users
    from pctui.store.void import VoidRefused, void_releases

    actor = users.identify(store)
    ids = list(dict.fromkeys(args.ids))
    named = ", ".join(f"#{i}" for i in ids)
    try:
        results = void_releases(store, actor, ids, args.reason)
    except VoidRefused as exc:
        _err(f"payment {named}: {exc}")
        if exc.together:
            _err("to void them together: pctui void " + " ".join(map(str, exc.together))
                 + " --reason TEXT")  # fmt: skip
        if args.json:
            refused: dict[str, object] = {"status": "refused", "errors": [str(exc)],
                                          "together": list(exc.together)}  # fmt: skip
            _print_json({"id": ids[0], **refused} if len(ids) == 1 else {"ids": ids, **refused})
        return EXIT_FAILED
    if args.json:  # one payment: an object (as before); several: an array of them
        _print_json(results[0].to_json() if len(ids) == 1 else [r.to_json() for r in results])
    else:
        for result in results:
            _out(f"#{result.era_id} voided (release #{result.release_id}, batch {result.batch}): "
                  f"{result.message}")
    return EXIT_OK


def cmd_batches(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import batches

    reports = batches.batch_reports(store, args.deposit_from, args.deposit_to)
    if args.csv:  # one row a payment: the deposit's lines, to match against the bank
        return _write_csv(args.csv, "payment",
                          ["DEPOSIT", "BATCH", "PAYMENT", "CHECK/EFT", "PAYER", "PAID ON",
                           "AMOUNT", "STATUS"],
                          ([r.deposit_date, r.number, p.era_id, p.check_number, p.payer,
                            p.payment_date, p.amount, p.status.replace("_", " ")]
                           for r in reports for p in r.payments))
    if args.json:
        _print_json([r.to_json() for r in reports])
        return EXIT_OK
    if not reports:
        _out("no batches")
    for report in reports:
        _out(f"{report.deposit_date}  {report.number}  {plural(report.payment_count, 'payment')}"
              f"  total {display(report.total)}")
        for p in report.payments:
            paid_on = p.payment_date.isoformat() if p.payment_date else ""
            _out(f"    #{p.era_id:<6} {p.check_number:<20} {p.payer:<10} {paid_on:<10} "
                  f"{display(p.amount):>12}  {p.status.replace('_', ' ')}".rstrip())
        for r in report.reworks:
            _out(f"    rework #{r.rework_id} of payment #{r.era_id} ({r.check_number}): "
                  f"{plural(r.claims_posted, 'claim')} posted by {r.reworked_by}"
                  + (", voided with its release" if r.voided else ""))
    return EXIT_OK


def cmd_errors(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import rework, users

    if args.errors_command == "close":
        actor = users.identify(store)
        line = rework.close_line(store, actor, args.id, args.note)
        if args.json:
            _print_json(_line_json(line))
        else:
            _out(f"line #{line.id} closed: {line.text}")
        return EXIT_OK
    lines = rework.open_lines(store)
    if args.csv:  # the error report across payments, for a spreadsheet
        return _write_csv(args.csv, "line",
                          ["LINE", "PAYMENT", "CHECK/EFT", "CLAIM", "KIND", "AMOUNT", "REWORK",
                           "ERROR"],
                          ([line.id, line.era_id, line.check_number, line.claim_id, line.kind,
                            line.amount, "yes" if line.reworkable else "no", line.text]
                           for line in lines))
    ready = rework.rework_readiness(store, [line.id for line in lines]) if args.check else {}
    if args.json:
        _print_json([{**_line_json(line), **({"rework": ready[line.id]} if ready else {})}
                     for line in lines])  # fmt: skip
        return EXIT_OK
    if not lines:
        _out("no open error-report lines")
        return EXIT_OK
    _table([[str(line.id), f"#{line.era_id}", line.check_number, line.claim_id,
             "yes" if line.reworkable else "no", line.text,
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
            _out(f"#{r.era_id} {r.status}: {r.message}")
            for line in r.errors:
                _out(f"    {line}")
    done = all(r.status == rework.ReworkStatus.REWORKED for r in results)
    return EXIT_OK if done else EXIT_FAILED


def _release_progress(done: int, total: int, result: Any) -> None:
    _progress_bar(done, total, f"payment #{result.era_id} {result.status}")


def _print_release_results(results: list[Any]) -> None:
    for r in results:
        where = f" batch {r.batch}, deposit {r.deposit_date}" if r.released else ""
        _out(f"#{r.era_id} {r.status}{where}: {r.message}")
        for line in r.errors:
            _out(f"    {line}")
        for line in r.reworked:
            _out(f"    reworked: {line}")
        for held in r.reworkable_now:
            _out(f"    {held.describe()} can be reworked now: pctui rework {held.line}")


def cmd_claims(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import claims

    if getattr(args, "claims_command", None) == "check":
        return cmd_claims_check(args, store)
    rows = []
    page = 5_000
    while True:  # paged so a very large list never needs one huge query
        chunk = claims.list_claims(store, args.search, offset=len(rows), limit=page,
                                   status=args.status, with_balance=args.with_balance)
        rows.extend(chunk)
        if len(chunk) < page:
            break
    if args.csv:
        return _write_csv(args.csv, "claim",
                          ["CLAIM", "PATIENT", "SERVICE", "CHARGE", "PAID", "ADJUSTED",
                           "PRIMARY", "SECONDARY", "TERTIARY", "PATIENT OWES", "BALANCE",
                           "VOIDED"],
                          ([r.claim_id, r.patient_name, r.service_date, r.charge, r.paid,
                            r.adjusted, *(r.balance[p] for p in _PARTIES), r.total_balance,
                            r.voided] for r in rows))
    if args.json:
        _print_json([_claim_json(r) for r in rows])
    else:
        _table([[r.claim_id, r.patient_name, display(r.charge), display(r.paid),
                 display(r.adjusted), *(display(r.balance[p]) for p in _PARTIES),
                 _status_label(r.status), r.status_reason] for r in rows],
               ["CLAIM", "PATIENT", "CHARGE", "PAID", "ADJUSTED", "PRIMARY", "SECONDARY",
                "TERTIARY", "PATIENT OWES", "STATUS", "WHY"])  # fmt: skip
    return EXIT_OK


def _status_label(status: str) -> str:
    from pctui.core.claim_status import ClaimStatus

    try:
        return ClaimStatus(status).label
    except ValueError:
        return status


def cmd_claims_check(args: argparse.Namespace, store: Store) -> int:
    """Run the compliance edits; held claims are held (exit 1), passing ones ready."""
    from pctui.core.text import visible
    from pctui.store import scrub, users

    actor = users.identify(store)
    actor.require_release()
    progress = _progress_bar if sys.stderr.isatty() and not args.ids else None
    run = scrub.check_claims(store, actor, args.ids or None, connection=args.connection,
                             progress=progress)  # fmt: skip
    for claim_id in run.missing:
        _err(f"claim {visible(claim_id)} is not on file")
    for claim_id, status in run.not_open:
        _err(f"claim {visible(claim_id)} is {status.label.lower()}: nothing to check")
    if args.json:
        _print_json([c.to_json() for c in run.checks])
    else:
        if not run.checks:
            print("no claims to check")
        for check in run.checks:
            where = f" via {visible(check.connection)}" if check.connection else ""
            print(f"{visible(check.claim_id)}: {check.status.label}{where}")
            for failure in check.failures:
                print(f"    {failure.severity.value} {failure.rule}: {visible(failure.text)}")
            for rule in check.unknown_rules:
                print(f"    unknown rule {visible(rule)} (listed by the connection; ignored)")
    held = any(c.holds for c in run.checks)
    return EXIT_FAILED if held or run.missing else EXIT_OK


def cmd_submit(args: argparse.Namespace, store: Store) -> int:
    """Scrub and send ready claims (SPEC 6); exit 1 when any claim was held or not sent."""
    from pctui.core.text import visible
    from pctui.exchange import claims_out
    from pctui.secrets import SecretStore
    from pctui.store import users

    actor = users.identify(store)
    actor.require_release()
    secrets = SecretStore.for_database(store.path, store.database_id)
    progress = _progress_bar if sys.stderr.isatty() and not args.json else None
    run = claims_out.submit(store, secrets, actor, args.ids or None,
                            connection=args.connection, progress=progress)  # fmt: skip
    for claim_id in run.missing:
        _err(f"claim {visible(claim_id)} is not on file")
    for claim_id, status in run.not_open:
        _err(f"claim {visible(claim_id)} is {status.label.lower()}: not sent again")
    for name in run.interrupted:
        _err(f"{visible(name)}: an earlier submission stopped before pctui knew whether it was "
             "sent; its claims were free to go again (look for the file in the mailbox)")
    if args.json:
        _print_json([r.to_json() for r in run.results])
    else:
        if not run.results:
            print("no claims to submit" if not args.ids else "nothing was sent")
        for f in run.files:
            what = "sent" if f.status == "sent" else f"NOT SENT: {f.error}"
            print(f"{visible(f.file_name)} via {visible(f.connection)}: "
                  f"{plural(len(f.claim_ids), 'claim')} {visible(what)}")
        for r in run.results:
            where = f" in {visible(r.file)}" if r.file and r.status == "submitted" else ""
            print(f"  {visible(r.claim_id)}: {r.status}{where}")
            for edit in r.edits:
                print(f"      {edit.rule}: {visible(edit.text)}")
            if r.status == "not_sent" and r.message:
                print(f"      {visible(r.message)}")
    bad = [r for r in run.results if r.status != "submitted"]
    for r in bad:  # a cron mail says why, whatever the format
        _err(f"claim {visible(r.claim_id)} {r.status.replace('_', ' ')}: "
             f"{visible(r.message or (r.edits[0].text if r.edits else ''))}")
    return EXIT_FAILED if bad or run.missing else EXIT_OK


def cmd_acknowledgments(args: argparse.Namespace, store: Store) -> int:
    from pctui.core.text import visible
    from pctui.store import acknowledgments

    rows = acknowledgments.list_acknowledgments(store, unmatched_only=args.unmatched)
    if args.json:
        _print_json([r.to_json() for r in rows])
        return EXIT_OK
    _table([[str(r.id), f"{r.received_at:%Y-%m-%d %H:%M}", r.kind, visible(r.file_name),
             r.verdict, "yes" if r.matched else ("no" if r.applied else "not yet"),
             visible(r.submission or "-"), visible(r.summary)] for r in rows],
           ["ID", "RECEIVED", "KIND", "FILE", "VERDICT", "MATCHED", "ANSWERS", "SUMMARY"])
    return EXIT_OK


def cmd_compliance(args: argparse.Namespace, store: Store) -> int:
    from pctui.core.text import visible
    from pctui.store import compliance

    found = compliance.catalogue(store)
    if args.json:
        rows = [entry.to_json() for entry in found.entries]
        rows += [{"id": rule_id, "description": "unknown rule: pctui has no such edit; ignored",
                  "location": None, "severity": None, "kind": None, "always": False,
                  "source": "unknown", "connections": names, "active": False}
                 for rule_id, names in found.unknown.items()]  # fmt: skip
        _print_json(rows)
        return EXIT_OK
    table = []
    for entry in found.entries:
        rule = entry.rule
        used = "every claim" if rule.always else (", ".join(entry.connections) or "-")
        table.append([rule.id, rule.severity.value, str(rule.location), used,
                      rule.description if entry.active else f"(inactive) {rule.description}"])
    for rule_id, names in found.unknown.items():
        table.append([rule_id, "-", "-", ", ".join(names), "unknown rule: ignored"])
    _table([[visible(c) for c in row] for row in table],
           ["ID", "SEVERITY", "LOCATION", "RUNS FOR", "DESCRIPTION"])
    return EXIT_OK


def cmd_conflicts(args: argparse.Namespace, store: Store) -> int:
    """Claims kept apart because an original reused a claim number on file (SPEC 2.2)."""
    from pctui.store import claim_intake, users

    action = getattr(args, "conflicts_command", None) or "list"
    if action in ("keep", "take"):
        actor = users.identify(store)
        view = claim_intake.resolve_conflict(store, actor, args.id, take_new=action == "take")
        if args.json:
            _print_json(_conflict_json(view))
        else:
            done = "took the new claim" if action == "take" else "kept the claim on file"
            _out(f"conflict #{view.id}, claim {view.claim_id}: {done}")
        return EXIT_OK
    rows = claim_intake.list_conflicts(store, None if args.all else claim_intake.ConflictStatus.OPEN)
    if args.json:
        _print_json([_conflict_json(v) for v in rows])
    elif not rows:
        _out("no claim conflicts" + ("" if args.all else " waiting"))
    else:
        _table([[str(v.id), v.claim_id, v.patient_name, display(v.charge_on_file_cents),
                 display(v.charge_new_cents), v.filename, f"{v.found_at:%Y-%m-%d}", v.status,
                 "; ".join(v.differences[:2]) + (" ..." if len(v.differences) > 2 else "")]
                for v in rows],
               ["ID", "CLAIM", "PATIENT", "ON FILE", "NEW", "CAME IN", "FOUND", "STATUS",
                "WHAT DIFFERS"])  # fmt: skip
    return EXIT_OK


def _conflict_json(view: Any) -> dict[str, Any]:
    return {
        "id": view.id, "claim_id": view.claim_id, "patient_name": view.patient_name,
        "charge_on_file": json_amount(view.charge_on_file_cents),
        "charge_new": json_amount(view.charge_new_cents), "file": view.filename,
        "found_at": view.found_at.isoformat(), "differences": view.differences,
        "status": view.status, "resolved_by": view.resolved_by or None,
        "resolved_at": view.resolved_at.isoformat() if view.resolved_at else None,
    }  # fmt: skip


_PARTIES = ("primary", "secondary", "tertiary", "patient")


def _write_csv(target: str, noun: str, header: list[str], rows: Any) -> int:
    """``--csv FILE``: written atomically, mode 600 (it holds patient data); ``-``: stdout."""
    from pathlib import Path

    from pctui.core.export import ExportFailed, csv_text, write_csv

    if target == "-":
        sys.stdout.write(csv_text(header, rows))
        return EXIT_OK
    try:
        count = write_csv(Path(target), header, rows)
    except ExportFailed as exc:
        _err(f"--csv: {exc}")
        return EXIT_FAILED
    _out(f"wrote {plural(count, noun)} to {visible(target)} (mode 600)")
    return EXIT_OK


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
        "status": row.status,
        "status_reason": row.status_reason,
    }


def cmd_backup(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import maintenance

    result = maintenance.backup(store, args.dest)
    if args.json:
        _print_json({"file": str(result.path), "bytes": result.size,
                     "keyring": str(result.keyring_copy) if result.keyring_copy else None})
    else:
        _out(f"Backed up {store.label} to {result.path} ({result.size:,} bytes, mode 0600).")
        if result.keyring_copy:
            _out(f"Its encrypted keyring file: {result.keyring_copy} (same passphrase).")
    return EXIT_OK


def cmd_share(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import files

    if store.path is None:
        _err("pctui share sets up a SQLite database's folder; on PostgreSQL, access is "
             "granted with database roles")
        return EXIT_FAILED
    try:
        done = files.share_with_group(store.path, args.group)
    except OSError as exc:
        _err(f"cannot share {store.path} with group {args.group}: "
             f"{exc.strerror or exc} (the owner of the folder, or root, runs this; they must "
             "belong to the group)")
        return EXIT_FAILED
    for line in done:
        _out(line)
    _out(f"Every member of {args.group} can now use {store.path}; add people with "
         f"`sudo usermod -aG {args.group} LOGIN` (they log in again), then register them with "
         "`pctui users add LOGIN --role biller`.")
    return EXIT_OK


def cmd_check(args: argparse.Namespace, store: Store) -> int:
    from pctui.store import maintenance

    report = maintenance.check(store)
    if args.json:
        _print_json(report.to_json())
    else:
        for line in report.integrity:
            _out(f"integrity: {line}")
        for line in report.foreign_keys:
            _out(f"reference: {line}")
        for line in report.ledger:
            _out(f"ledger: {line}")
        if report.ledger_problems > len(report.ledger):
            _out(f"ledger: ... and {report.ledger_problems - len(report.ledger)} more claims")
        if report.ok:
            sound = "" if store.on_server else "the file is sound and "  # a server: no file
            _out(f"{store.label}: {sound}every claim adds up "
                 f"({plural(report.claims_checked, 'claim')} checked).")
        else:
            _out(f"{store.label}: PROBLEMS FOUND — restore the latest good backup "
                 "(README: backups) before releasing more payments.")
    return EXIT_OK if report.ok else EXIT_FAILED


def _search_text(text: str) -> str:
    from pctui.store.claims import MAX_SEARCH

    if len(text.strip()) > MAX_SEARCH:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_SEARCH} characters ({len(text.strip()):,} given)")
    return text


def _era_search_text(text: str) -> str:
    from pctui.store.eras import MAX_SEARCH

    if len(text.strip()) > MAX_SEARCH:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_SEARCH} characters ({len(text.strip()):,} given)")
    return text


def cmd_connections(args: argparse.Namespace, store: Store) -> int:
    action = getattr(args, "connections_command", None)
    if action == "key":
        return _connections_key(args, store)
    if action == "test":
        return _connections_test(args, store)
    return _connections_list(args, store)


def _connection_json(c: Any) -> dict[str, Any]:
    from pctui.core.connection_settings import settings_key

    return {
        "id": c.id, "payer_code": c.payer_code, "name": c.name,
        "gateway_type": c.gateway_type.value, "endpoint": c.endpoint,
        "submitter_id": c.submitter_id, "receiver_id": c.receiver_id,
        "compliance_rules": list(c.compliance_rules), "active": c.active,
        "usage": c.usage.value, "poll_minutes": c.poll_minutes,
        settings_key(c.gateway_type): c.settings.to_dict(),
        "secret": {"kind": c.secret_label, "set": c.api_key_set, "hint": c.api_key_hint},
        "ready": not c.not_ready(), "not_ready": c.not_ready(),
    }


def _connections_list(args: argparse.Namespace, store: Store) -> int:
    from pctui.core.text import visible
    from pctui.store import connections

    rows = connections.list_connections(store)
    if args.json:
        _print_json([_connection_json(c) for c in rows])
        return EXIT_OK
    _table([[str(c.id), visible(c.payer_code), visible(c.name), c.gateway_type.value,
             visible(c.endpoint), c.usage.value,
             f"{c.poll_minutes} min" if c.poll_minutes else "off",
             f"{c.secret_label} {c.key_state}",
             "ready" if not c.not_ready() else "not ready: " + "; ".join(c.not_ready())]
            for c in rows],
           ["ID", "PAYER", "NAME", "TYPE", "ENDPOINT", "USAGE", "POLL", "SECRET", "STATE"])
    return EXIT_OK


def _read_secret(prompt: str) -> str:
    """The secret from standard input: typed without echo on a terminal, else piped in (one
    trailing newline dropped). Never an argument, so it stays out of shell history and ps."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    # Bounded: `< /dev/zero` (a wrong redirection) must not be read forever. Past the limit the
    # secret is too long, which the connection's own check says in words.
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream already (pctui embedded, tests)
        data = sys.stdin.read(MAX_SECRET_BYTES + 1)
    else:
        raw = stream.read(MAX_SECRET_BYTES + 1)
        try:
            data = raw.decode("utf-8")
        except UnicodeDecodeError:
            if len(raw) > MAX_SECRET_BYTES:  # cut inside a character: too long is the news
                return "x" * (MAX_SECRET_BYTES + 1)
            raise SecretNotText() from None
    if data.endswith("\r\n"):
        return data[:-2]
    return data[:-1] if data.endswith("\n") else data


MAX_SECRET_BYTES = 64 << 10  # a key or password is at most 4,096 characters (connections)


class SecretNotText(Exception):
    """What was piped in as a secret is not UTF-8 text."""


def _connections_key(args: argparse.Namespace, store: Store) -> int:
    from pctui.core.text import visible
    from pctui.secrets import KeyringLocked, KeyringUnavailable
    from pctui.store import connections, users

    actor = users.identify(store)
    actor.require_admin("Insurance Payers")
    view = connections.find_connection(store, args.name)
    secrets = open_secrets(store)  # a wrong PCTUI_KEYRING_PASSPHRASE is said
    if secrets.locked:
        if not secrets.passphrase_problem:  # a wrong passphrase was said already
            _err(f"{secrets.why_locked}; nothing was stored")
        return EXIT_FAILED
    try:
        secret = _read_secret(f"{view.secret_label} for {visible(view.label)} (not shown): ")
    except SecretNotText:
        _err(f"{visible(view.label)}: the {view.secret_label} is not UTF-8 text; nothing was "
             "stored")
        return EXIT_FAILED
    try:
        saved = connections.save_connection(store, secrets, actor, view.draft(), view.id,
                                            api_key=secret)
    except ValidationFailed as exc:
        _err(f"{visible(view.label)}: {exc.errors.get('api_key') or exc}; nothing was stored")
        return EXIT_FAILED
    except (KeyringLocked, KeyringUnavailable) as exc:
        _err(str(exc))
        return EXIT_FAILED
    print(f"{saved.secret_label[0].upper()}{saved.secret_label[1:]} stored for "
          f"{visible(saved.label)} ({saved.key_state}) in the {secrets.describe()}.")
    return EXIT_OK


def _connections_test(args: argparse.Namespace, store: Store) -> int:
    from pctui import exchange
    from pctui.core.text import visible
    from pctui.store import connections, users

    actor = users.identify(store)
    view = connections.find_connection(store, args.name)
    secrets = open_secrets(store)  # a wrong PCTUI_KEYRING_PASSPHRASE is said
    report = exchange.test_connection(store, secrets, actor, view.id)
    if args.json:
        _print_json({"connection": view.label, "ok": report.ok, "steps": [
            {"step": s.step.value, "ok": s.ok, "detail": s.detail} for s in report.steps],
            "offered_host_key": report.offered_host_key or None})
    else:
        print(f"{visible(view.label)}: {'works' if report.ok else 'does not work'}")
        for line in report.lines():
            print(f"  {visible(line)}")
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_poll(args: argparse.Namespace, store: Store) -> int:
    from pctui import exchange
    from pctui.store import connections, users

    actor = users.identify(store)
    actor.require_release()
    ids = [connections.find_connection(store, n).id for n in args.names] if args.names else None
    secrets = open_secrets(store)  # a wrong PCTUI_KEYRING_PASSPHRASE is said
    progress = _poll_progress if sys.stderr.isatty() and not args.json else None
    results = exchange.poll(store, secrets, actor, ids, progress=progress)
    if progress is not None:
        sys.stderr.write("\r\x1b[K")
    if args.json:
        _print_json([r.to_json() for r in results])
    else:
        _print_poll(results)
    for r in results:  # a cron mail shows what failed, whatever the format
        for error in r.errors:
            _err(f"{_visible(r.connection)}: {_visible(error)}")
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED


def _visible(text: str) -> str:
    from pctui.core.text import visible

    return visible(text)


def _poll_progress(connection: str, doing: str) -> None:
    line = f"{connection}: {doing}"
    sys.stderr.write(f"\r{_visible(line[:78])}\x1b[K")
    sys.stderr.flush()


def _print_poll(results: list[Any]) -> None:
    if not results:
        print("no active connections")
    for r in results:
        got = len(r.received)
        state = "failed" if r.errors else f"{got} file{'s' if got != 1 else ''} received"
        print(f"{_visible(r.connection)}: {state}")
        for item in r.received:
            line = f"    {item.result:<14} {item.kind:<5} {item.name}"
            if item.summary:
                line += f"  ({item.summary})"
            print(_visible(line))
            for error in item.errors:
                print(f"        {_visible(error)}")


def cmd_send(args: argparse.Namespace, store: Store) -> int:
    from pathlib import Path

    from pctui import exchange
    from pctui.store import connections, users

    actor = users.identify(store)
    actor.require_release()
    view = connections.find_connection(store, args.name)
    files: list[tuple[str, bytes]] = []
    slots: list[Any] = []  # per FILE in order: its index in files, or the refusal
    for name in args.files:
        try:
            files.append((name, Path(name).read_bytes()))
            slots.append(len(files) - 1)
        except OSError as exc:
            slots.append(exchange.SendResult(
                name, view.label, "refused",
                errors=[f"cannot read the file: {exc.strerror or type(exc).__name__}"]))
    secrets = open_secrets(store)  # a wrong PCTUI_KEYRING_PASSPHRASE is said
    sent = exchange.send_files(store, secrets, actor, view.id, files) if files else []
    results = [sent[slot] if isinstance(slot, int) else slot for slot in slots]
    if args.json:
        _print_json([r.to_json() for r in results])
    else:
        for r in results:
            where = f" as {r.remote_name}" if r.remote_name else ""
            note = f" ({r.note})" if r.note else ""
            print(_visible(f"{r.status:<8} {r.file}{where}{note}"))
            for error in r.errors:
                print(f"    {_visible(error)}")
    for r in results:
        for error in r.errors:
            _err(f"{_visible(r.file)}: {_visible(error)}")
    return EXIT_OK if all(r.status == "sent" for r in results) else EXIT_FAILED


def _iso_date(text: str) -> date:
    try:
        if len(text) != 10 or text[4] != "-" or text[7] != "-":  # 20261130 is not YYYY-MM-DD
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


_LARGEST_ID = 2**63 - 1  # a database id (SQLite INTEGER, PostgreSQL BIGINT) is never larger


def _record_id(text: str) -> int:
    """An id on the command line: a whole number a database id could be."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if abs(value) > _LARGEST_ID:
        shown = text if len(text) <= 30 else f"{text[:30]}…"
        raise argparse.ArgumentTypeError(f"{shown} is larger than any id pctui gives")
    return value


def cmd_migrate_data(args: argparse.Namespace) -> int:
    """Copy a whole database into an empty one (pctui.store.transfer). Opens both itself: the
    ``--db`` database plays no part."""
    from pathlib import Path

    from pctui.store import transfer, users
    from pctui.store.db import is_server_url

    if not is_server_url(str(args.source)) and not Path(args.source).expanduser().exists():
        _err(f"migrate-data: {args.source} does not exist (the database to copy from); "
             "nothing was copied")
        return EXIT_FAILED
    source = Store.open(args.source, create=False)
    try:
        target = Store.open(args.target)
        try:
            actor = users.identify(source)
            progress = _copy_progress if sys.stderr.isatty() else None
            try:
                report = transfer.copy_database(source, target, actor, progress)
            except transfer.TransferRefused as exc:
                _err(f"migrate-data: {exc}")
                return EXIT_FAILED
        finally:
            target.close()
    finally:
        source.close()
    if args.json:
        _print_json(report.as_json())
    else:
        for line in report.describe():
            print(visible(line))
        if not source.on_server and target.on_server:
            from pctui.secrets import FILE_ENV, keyring_file_for

            print(f"API keys stay in the keyring (database id {report.database_id}). If they "
                  f"are in the encrypted file {keyring_file_for(source.path)}, give that file to "
                  f"the new database with {FILE_ENV} (README: PostgreSQL).")
    return EXIT_OK


def _copy_progress(table: str, rows: int) -> None:
    from pctui.store.transfer import noun

    sys.stderr.write(f"\rcopying {noun(table)}: {rows:,}\x1b[K")
    sys.stderr.flush()


# --- parser ---------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, with the words it repeats from the command line shown safely."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {visible(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pctui",
        description="Payer connections, payer rules and 835 release for medical billing.",
        epilog=f"Default database: {shown_location(default_location())} "
        "(override with --db or PCTUI_DB).",
    )
    parser.add_argument("--db", metavar="PATH|URL",
                        help="a SQLite database file, or a PostgreSQL database as "
                        "postgresql://user@host:port/dbname (default: PCTUI_DB, else pctui.db "
                        "in your data directory)")
    parser.add_argument("--version", action="version", version=f"pctui {__version__}")
    json_parent = _Parser(add_help=False)
    json_parent.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", parents=[json_parent], help="fill the database with demo data")
    demo.set_defaults(handler=cmd_demo)

    users = sub.add_parser("users", help="who may change what")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users_sub.add_parser("add", parents=[json_parent], help="add a user or change a role")
    add.add_argument("name", help="the OS login name")
    add.add_argument("--role", required=True, choices=["admin", "biller"])
    users_sub.add_parser("list", parents=[json_parent], help="list users").set_defaults(
        creates=False)
    role = users_sub.add_parser("role", parents=[json_parent],
                                help="change a user's role (the last active admin stays admin)")
    role.add_argument("name", help="the OS login name")
    role.add_argument("--role", required=True, choices=["admin", "biller"])
    for action, words in (("deactivate", "take a user's rights away (read-only from then on; "
                                         "never the last active admin)"),
                          ("reactivate", "give a deactivated user their role back")):
        change = users_sub.add_parser(action, parents=[json_parent], help=words)
        change.add_argument("name", help="the OS login name")
        change.set_defaults(creates=False)
    role.set_defaults(creates=False)
    users.set_defaults(handler=cmd_users)

    config = sub.add_parser(
        "config", help="payers, rules, CARC overrides and connections as one JSON document",
        description="Export or import the configuration (SPEC 3 shape plus custom posting codes). "
        "API keys are never exported or imported.",
    )  # fmt: skip
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    export = config_sub.add_parser("export", help="print the configuration as JSON")
    export.add_argument("--output", "-o", metavar="FILE",
                        help="write to FILE instead of standard output (mode 0600, or 0660 "
                        "in a shared folder)")
    export.set_defaults(creates=False)
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
        "every regular file directly inside it (hidden files are skipped; sub-folders, pipes "
        "and devices are named and not read). Files under "
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
    eras_cmd.add_argument("--check", metavar="TEXT", type=_era_search_text,
                          help="check/EFT number contains TEXT")
    eras_cmd.add_argument("--inbound", metavar="ID", type=_era_search_text,
                          help="an Inbound ID, payer code or payer name")
    eras_cmd.add_argument("--paid-from", type=_iso_date, metavar="YYYY-MM-DD")
    eras_cmd.add_argument("--paid-to", type=_iso_date, metavar="YYYY-MM-DD")
    eras_cmd.add_argument("--loaded-from", type=_iso_date, metavar="YYYY-MM-DD")
    eras_cmd.add_argument("--loaded-to", type=_iso_date, metavar="YYYY-MM-DD")
    eras_cmd.add_argument("--limit", type=_record_id, metavar="N", help="at most N rows")
    eras_cmd.add_argument("--rejected", action="store_true",
                          help="list rejected and duplicate files with their reasons instead")
    eras_cmd.add_argument("--csv", metavar="FILE",
                          help="write the list as CSV to FILE (mode 600; - for standard output)")
    eras_cmd.set_defaults(handler=cmd_eras, creates=False)

    rel = sub.add_parser(
        "release", parents=[json_parent], help="release 835 payments (post them onto claims)",
        description="Release 835 payments by id (see `pctui eras`), one result per payment. "
        "Each payment is posted in one transaction: all of it or nothing. Exit 0 when every "
        "payment was released (with or without error-report lines), 1 when any was refused.",
    )  # fmt: skip
    rel.add_argument("ids", nargs="+", type=_record_id, metavar="ID", help="payment ids")
    rel.add_argument("--deposit-date", required=True, type=_iso_date, metavar="YYYY-MM-DD")
    rel.add_argument("--batch", metavar="B",
                     help="batch number (default: the next free B<deposit date>-NN, taken "
                     "when the release runs)")
    rel.add_argument("--confirm-early-deposit", action="store_true",
                     help="the deposit date is before a payment's date, and that is right")
    rel.set_defaults(handler=cmd_release, creates=False)

    backup_cmd = sub.add_parser(
        "backup", parents=[json_parent], help="a consistent copy of the live database",
        description="Copies the database with SQLite's online backup while others keep working "
        "(including what is only in its -wal file). DEST is a new file, or a folder to get "
        "<name>-YYYYMMDD-HHMMSS.db in it; an existing file is never replaced. The copy is mode "
        "0600; the encrypted keyring file, if any, is copied beside it.",
    )  # fmt: skip
    backup_cmd.add_argument("dest", metavar="DEST", help="a new file, or a folder")
    backup_cmd.set_defaults(handler=cmd_backup, creates=False)

    share_cmd = sub.add_parser(
        "share", help="let every member of an OS group use this database",
        description="Gives the database's folder to GROUP with the setgid bit (2770), so files "
        "created there later belong to GROUP, and makes the database, its -wal/-shm and its "
        "keyring file group read/write (0660), never world-readable. Creates the database if "
        "there is none yet. Run it as the folder's owner or root.",
    )  # fmt: skip
    share_cmd.add_argument("group", metavar="GROUP", help="an existing OS group, e.g. billing")
    share_cmd.set_defaults(handler=cmd_share)

    check_cmd = sub.add_parser(
        "check", parents=[json_parent], help="is the database whole, does every claim add up",
        description="SQLite's integrity and foreign-key checks, and for every claim: charge = "
        "paid + adjusted + balances (primary, secondary, tertiary, patient). Exit 1 when "
        "anything is wrong.",
    )  # fmt: skip
    check_cmd.set_defaults(handler=cmd_check, creates=False)

    void = sub.add_parser(
        "void", parents=[json_parent], help="void a released payment (admin)",
        description="Undo a release with exact negating ledger entries (its rework too); the "
        "payment is Ready again. Refused while a later posting on the same claims depends on "
        "it (they are named: void those first). Payments that depend on each other (each the "
        "earlier level on a claim of the other) are voided together: name them all.",
    )  # fmt: skip
    void.add_argument("ids", type=_record_id, nargs="+", metavar="ID",
                      help="payment id (several: voided together, in one transaction)")
    void.add_argument("--reason", required=True, metavar="TEXT", help="why (kept in the audit log)")
    void.set_defaults(handler=cmd_void, creates=False)

    batches_cmd = sub.add_parser(
        "batches", parents=[json_parent],
        help="deposit dates and batches with their payments and totals",
        description="Per deposit date and batch, the payments released in it and their total, "
        "to match against the bank deposit. Voided releases are listed but not counted.",
    )  # fmt: skip
    batches_cmd.add_argument("--from", dest="deposit_from", type=_iso_date, metavar="YYYY-MM-DD")
    batches_cmd.add_argument("--to", dest="deposit_to", type=_iso_date, metavar="YYYY-MM-DD")
    batches_cmd.add_argument("--csv", metavar="FILE",
                             help="write one row a payment as CSV to FILE (mode 600; - for "
                             "standard output)")
    batches_cmd.set_defaults(handler=cmd_batches, creates=False)

    errors_cmd = sub.add_parser(
        "errors", parents=[json_parent], help="the worklist of open error-report lines",
        description="Every open error-report line across released payments. `pctui errors "
        "close ID --note TEXT` closes one by hand; `pctui rework ID...` posts reworkable ones.",
    )  # fmt: skip
    errors_cmd.add_argument("--check", action="store_true",
                            help="also say what reworking each line would do now")
    errors_cmd.add_argument("--csv", metavar="FILE",
                            help="write the open lines as CSV to FILE (mode 600; - for "
                            "standard output)")
    errors_sub = errors_cmd.add_subparsers(dest="errors_command", metavar="ACTION")
    close = errors_sub.add_parser("close", parents=[json_parent],
                                  help="close an error-report line by hand, with a note")
    close.add_argument("id", type=_record_id, metavar="ID", help="error-report line id")
    close.add_argument("--note", required=True, metavar="TEXT", help="how it was worked")
    errors_cmd.set_defaults(handler=cmd_errors, creates=False)

    rework_cmd = sub.add_parser(
        "rework", parents=[json_parent],
        help="post the claim payments of error-report lines whose cause is fixed",
        description="Each line's claim payment is posted as a release would post it now, in its "
        "own transaction, recorded with the original payment, a batch and you. A line whose "
        "cause is not fixed yet stays open (exit 1).",
    )  # fmt: skip
    rework_cmd.add_argument("ids", nargs="+", type=_record_id, metavar="ID", help="error-report line ids")
    rework_cmd.add_argument("--batch", metavar="B",
                            help="batch to record the rework in (default: the release's)")
    rework_cmd.set_defaults(handler=cmd_rework, creates=False)

    claims_cmd = sub.add_parser("claims", parents=[json_parent],
                                help="list claims with their balances and statuses")
    claims_cmd.add_argument("--search", metavar="TEXT", type=_search_text,
                            help="claim id or patient contains TEXT")
    claims_cmd.add_argument("--status", choices=_CLAIM_STATUSES,
                            help="only claims with this status")
    claims_cmd.add_argument("--with-balance", action="store_true",
                            help="only claims someone still owes on")
    claims_cmd.add_argument("--csv", metavar="FILE",
                            help="write the list as CSV to FILE (mode 600; - for standard output)")
    claims_sub = claims_cmd.add_subparsers(dest="claims_command", metavar="ACTION")
    check = claims_sub.add_parser(
        "check", parents=[json_parent], help="run the compliance edits on claims",
        description="Runs the compliance edits (pctui compliance) on the claims named, or on "
        "every ready, held or rejected claim: each failing hold edit holds its claim (with the "
        "X12 location), a held claim that passes is ready again. Exit 1 when any claim is held.",
    )  # fmt: skip
    check.add_argument("ids", nargs="*", metavar="ID", help="claim ids (CLM01)")
    check.add_argument("--connection", metavar="NAME",
                       help="the connection to check them for (default: their payer's)")
    claims_cmd.set_defaults(handler=cmd_claims, creates=False)
    conns = sub.add_parser(
        "connections", parents=[json_parent], help="payer connections: list, store a secret, test",
        description="Without an action: list the connections with their settings and whether "
        "each is ready to send and receive. Secrets are never printed.",
    )  # fmt: skip
    conns_sub = conns.add_subparsers(dest="connections_command", metavar="ACTION")
    conns_sub.add_parser("list", parents=[json_parent], help="list connections (the default)")
    key = conns_sub.add_parser(
        "key", help="store a connection's secret read from standard input",
        description="Stores the API key, SFTP password or SSH key passphrase of connection NAME "
        "(its name, PAYER/NAME, or its id) in the keyring. The secret is read from standard "
        "input — typed without echo on a terminal, or piped; one trailing newline is dropped. "
        "It is never an argument, so it stays out of shell history and ps.",
    )  # fmt: skip
    key.add_argument("name", metavar="NAME")
    test = conns_sub.add_parser(
        "test", parents=[json_parent], help="test a connection step by step",
        description="Tries each step in order — settings, name (DNS), network, TLS or host key, "
        "login, folders — and says in words which one failed. Exit 1 when one did.",
    )  # fmt: skip
    test.add_argument("name", metavar="NAME")
    conns.set_defaults(handler=cmd_connections, creates=False)

    poll = sub.add_parser(
        "poll", parents=[json_parent], help="receive what connections' mailboxes hold",
        description="For each named connection (default: every active one), fetch the files "
        "waiting, store each (content and SHA-256) before anything else, then hand it on: an 835 "
        "to Release 835, a TA1/999/277CA recorded as an acknowledgment. A file already received "
        "is not received again. Exit 1 when any connection failed.",
    )  # fmt: skip
    poll.add_argument("names", nargs="*", metavar="NAME")
    poll.set_defaults(handler=cmd_poll, creates=False)

    send = sub.add_parser(
        "send", parents=[json_parent], help="send files through a connection",
        description="Uploads each FILE through connection NAME and records it. A file is refused "
        "(not sent) unless it is X12 whose every ISA15 matches the connection's usage (T test, "
        "P production). Exit 1 when any file was refused or failed.",
    )  # fmt: skip
    send.add_argument("name", metavar="NAME")
    send.add_argument("files", nargs="+", metavar="FILE")
    send.set_defaults(handler=cmd_send, creates=False)

    compliance_cmd = sub.add_parser(
        "compliance", parents=[json_parent], help="the compliance edits pctui can run",
        description="Every compliance edit: id, severity, X12 location, the connections that "
        "list it, description. Administrators add edits in the config document "
        "(compliance_edits); identifiers a connection lists that name no edit are shown as "
        "unknown rules and ignored.",
    )  # fmt: skip
    compliance_cmd.set_defaults(handler=cmd_compliance, creates=False)

    submit = sub.add_parser(
        "submit", parents=[json_parent], help="scrub and send ready claims (837P)",
        description="Runs the compliance edits on the claims named (default: every ready claim; "
        "a rejected claim is sent again only when named), holds what fails, and sends the rest "
        "as one 837P 005010X222A1 per connection (the active connection of the payer each "
        "claim is billed to), validated by pyx12 and read back before it leaves. One result per "
        "claim; exit 1 when any claim was held or not sent.",
    )  # fmt: skip
    submit.add_argument("ids", nargs="*", metavar="ID", help="claim ids (CLM01)")
    submit.add_argument("--connection", metavar="NAME",
                        help="send through this connection only (its payer's claims)")
    submit.set_defaults(handler=cmd_submit, creates=False)

    acks = sub.add_parser(
        "acknowledgments", parents=[json_parent],
        help="TA1, 999 and 277CA received, and what each did to the claims",
        description="Every acknowledgment received by polling, newest first: its kind, the file "
        "it answered, its verdict and what it did; --unmatched lists those that answered "
        "nothing pctui sent (kept, never dropped).",
    )  # fmt: skip
    acks.add_argument("--unmatched", action="store_true",
                      help="only those that matched nothing pctui sent")
    acks.set_defaults(handler=cmd_acknowledgments, creates=False)

    conflicts = sub.add_parser(
        "conflicts", parents=[json_parent], help="claims kept apart: keep the one on file or take "
        "the new one",
        description="An imported original claim whose claim number (CLM01) is already on file "
        "with other content is kept apart until a biller decides. Without an action: the "
        "conflicts still waiting (--all: every one, resolved too).",
    )  # fmt: skip
    conflicts.add_argument("--all", action="store_true", help="resolved conflicts too")
    conflicts_sub = conflicts.add_subparsers(dest="conflicts_command", metavar="ACTION")
    for action, what in (("keep", "keep the claim on file; the new one is set aside"),
                         ("take", "take the new claim: it replaces the claim on file")):
        decide = conflicts_sub.add_parser(action, parents=[json_parent], help=what)
        decide.add_argument("id", type=_record_id, metavar="ID", help="the conflict's id")
    conflicts.set_defaults(handler=cmd_conflicts, creates=False)

    migrate = sub.add_parser(
        "migrate-data", parents=[json_parent],
        help="copy a whole database into an empty one (e.g. a SQLite file into PostgreSQL)",
        description="Copies everything — payers, rules, codes, connections (keys stay in the "
        "keyring), users, files, payments, claims, the ledger, batches, the audit log — from "
        "SOURCE into TARGET in one transaction, keeping every id and the database id. TARGET "
        "must be empty (a new file, or an empty PostgreSQL database); it is set up first. "
        "Before committing, every table's row count and every claim's balances are checked "
        "against the source, to the cent. --db plays no part. Only an admin of SOURCE may run "
        "it.",
    )  # fmt: skip
    migrate.add_argument("source", metavar="SOURCE",
                         help="the database to copy (e.g. /srv/billing/pctui.db)")
    migrate.add_argument("target", metavar="TARGET",
                         help="an empty database (e.g. postgresql://billing@db.internal/pctui)")
    migrate.set_defaults(handler=cmd_migrate_data, standalone=True)
    return parser


_CLAIM_STATUSES = ["ready", "held", "submitted", "acknowledged", "accepted", "rejected", "paid",
                   "partially_paid", "denied"]


class _WaitNotice:
    """Tells a person (or a cron mail) on stderr that this command waits for another session's
    write: one line when the wait starts, redrawn with the seconds on a terminal."""

    def __init__(self) -> None:
        self.shown = False
        self.tty = sys.stderr.isatty()

    def __call__(self, seconds: float | None) -> None:
        if seconds is None:
            if self.shown and self.tty:
                sys.stderr.write(" done\n")
                sys.stderr.flush()
            self.shown = False
            return
        text = "pctui: waiting for another session to finish writing to the database"
        if not self.shown:
            sys.stderr.write(f"{text}..." if self.tty else f"{text}...\n")
            self.shown = True
        elif self.tty:
            sys.stderr.write(f"\r{text}... {seconds:.0f} s\x1b[K")
        sys.stderr.flush()


def _fault(exc: BaseException, where: object) -> str:
    """The one line a failure becomes (see the module docstring)."""
    from pctui.store import faults

    message = faults.explain(exc, where)
    if message is not None:
        return message
    if isinstance(exc, MemoryError):
        return "ran out of memory; nothing more was done"
    return (f"internal error ({type(exc).__name__}); nothing more is shown so that no patient "
            f"data reaches the terminal (set {DEBUG_ENV}=1 to see the details)")


def _never_fail_on_characters() -> None:
    """A terminal whose encoding cannot show a character ("•", "→", a patient's "é" under an
    ASCII or Latin-1 locale) gets it as a backslash escape, not an internal error."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass


def main(argv: Sequence[str] | None = None) -> int:
    from pctui.hardening import harden_process

    harden_process()
    _never_fail_on_characters()
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace, Store], int] = getattr(args, "handler", cmd_app)
    debug = bool(os.environ.get(DEBUG_ENV))
    where = shown_location(args.db or default_location())  # a URL's password never printed
    if getattr(args, "standalone", False):  # opens its own databases
        where = shown_location(getattr(args, "target", where))
        try:
            return handler(args)  # type: ignore[call-arg]
        except PermissionDenied as exc:
            _err(str(exc))
            return EXIT_FAILED
        except KeyboardInterrupt:
            _err("interrupted")
            return 130
        except Exception as exc:  # noqa: BLE001 - the error policy: one plain line, no traceback
            if debug:
                raise
            _err(_fault(exc, where))
            return EXIT_FAILED
    try:
        store = Store.open(args.db, create=getattr(args, "creates", True))
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - the error policy: one plain line, no traceback
        if debug:
            raise
        _err(_fault(exc, where))
        return EXIT_FAILED
    if handler is not cmd_app:
        store.waits.listener = _WaitNotice()
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
    except Exception as exc:  # noqa: BLE001 - the error policy: one plain line, no traceback
        if debug:
            raise
        from pctui.secrets import KeyringLocked, KeyringUnavailable

        _err(str(exc) if isinstance(exc, (KeyringLocked, KeyringUnavailable)) else
             _fault(exc, store.label))
        return EXIT_FAILED
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
