"""The pctui application: sidebar, sections, footer keys, command palette and help.

Error policy (as the command line's): a fault a user can meet — a busy, read-only, full or
damaged database, a keyring that cannot be used, a change refused — is shown as a notification
in words and the app keeps running; nothing else on screen is lost. Only an internal error
ends the app, with one line naming its type: no traceback and no local variables (an API key
or a passphrase could be one), unless ``PCTUI_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Header, OptionList
from textual.widgets.option_list import Option
from textual.worker import WorkerFailed

from pctui.core.text import visible
from pctui.secrets import KeyringLocked, KeyringUnavailable, SecretStore
from pctui.store import faults, users
from pctui.store.db import Store, StoreBusy
from pctui.store.errors import NotFound, PermissionDenied, ValidationFailed
from pctui.ui.screens.claims import ClaimsSection
from pctui.ui.screens.claims_out import ClaimsOutSection
from pctui.ui.screens.insurance_payers import InsurancePayersSection
from pctui.ui.screens.mailbox import MailboxSection
from pctui.ui.screens.payer_rules import PayerRulesSection
from pctui.ui.screens.release_835 import Release835Section
from pctui.ui.settings import UserSettings, load_keymap
from pctui.ui.styles import stylesheet
from pctui.ui.widgets.key_footer import KeyFooter
from pctui.ui.widgets.section import Section

# Sidebar order. Each section's F-key follows its position (F2, F3, ...).
SECTIONS: list[type[Section]] = [InsurancePayersSection, PayerRulesSection, Release835Section,
                                  ClaimsSection, ClaimsOutSection, MailboxSection]
SCHEDULE_CHECK_SECONDS = 60

# A write started on the UI thread cannot show progress while it waits: it gives up sooner.
UI_THREAD_WRITE_WAIT_SECONDS = 3.0


def user_message(error: BaseException, where: object) -> str | None:
    """What to tell the user about ``error``, or None for an internal error."""
    if isinstance(error, WorkerFailed):
        error = error.error
    if isinstance(error, (PermissionDenied, NotFound, KeyringLocked, KeyringUnavailable)):
        return str(error)
    if isinstance(error, ValidationFailed):
        return "; ".join(f"{k}: {v}" for k, v in error.errors.items())
    return faults.explain(error, where)


class Sidebar(OptionList):
    """Sections grouped under ADMIN / PAYMENTS headings (headings cannot be selected)."""

    def __init__(self, sections: list[type[Section]]) -> None:
        options: list[Option] = []
        group = ""
        for index, section in enumerate(sections):
            if section.GROUP != group:
                group = section.GROUP
                options.append(Option(group, id=f"group-{group}", disabled=True))
            options.append(Option(f"{section.TITLE}  F{index + 2}", id=section.SECTION_ID))
        super().__init__(*options, id="sidebar")


def _guard_message_pumps() -> None:
    """Textual stops a widget's (or the app's own) message loop for good when one of its
    handlers raises: a dialog stops answering keys, or the app ends with no word. A fault a
    user can meet (``PctuiApp.tell_fault``: a database gone, busy or read-only, a change
    refused) is told there instead and the loop carries on; anything else still reaches
    Textual's error handling (``_handle_exception``). Installed once, by the first app."""
    from textual.message_pump import MessagePump

    original = MessagePump._dispatch_message
    if getattr(original, "pctui_guarded", False):
        return

    async def dispatch(self: MessagePump, message: object) -> None:
        try:
            await original(self, message)  # type: ignore[arg-type]
        except Exception as error:
            tell = getattr(self.app, "tell_fault", None)
            if tell is None or not tell(error):
                raise

    dispatch.pctui_guarded = True  # type: ignore[attr-defined]
    MessagePump._dispatch_message = dispatch  # type: ignore[method-assign]


class PctuiApp(App[None]):
    TITLE = "pctui"
    CSS_PATH = [stylesheet("app.tcss"), *(stylesheet(s.SECTION_ID + ".tcss") for s in SECTIONS)]
    BINDINGS = [
        # F-keys have priority so they also work inside forms and dialogs; "?" stays typeable.
        Binding("f1", "help", "Help", id="app.help", priority=True),
        Binding("question_mark", "help", "Help", show=False, id="app.help_question_mark"),
        *(
            Binding(f"f{i + 2}", f"show_section('{s.SECTION_ID}')", s.TITLE, show=False,
                    id=f"app.section.{s.SECTION_ID}")
            for i, s in enumerate(SECTIONS)
        ),
        Binding("ctrl+b", "toggle_sidebar", "Sidebar", id="app.sidebar"),
        Binding("f9", "unlock_keyring", "Unlock keyring", id="app.unlock", priority=True),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("ctrl+p", "command_palette", "Command palette: every section and action",
                show=False, id="app.palette", priority=True),
        # Textual routes each key to the widget focused when the key is read; with Tab handled
        # later (a screen binding), keys typed right after Tab (typeahead over a slow SSH link)
        # landed in the previous field. As priority bindings, focus moves when Tab is read.
        Binding("tab", "focus_next", "Next field", show=False, priority=True, id="app.tab"),
        Binding("shift+tab", "focus_previous", "Previous field", show=False, priority=True,
                id="app.shift_tab"),
    ]

    def __init__(self, store: Store, secrets: SecretStore | None = None,
                 login: str | None = None, settings: UserSettings | None = None) -> None:
        super().__init__()
        _guard_message_pumps()
        self.store = store
        self.secrets = secrets or SecretStore.for_database(store.path, store.database_id)
        self.actor = users.identify(store, login)
        self.settings = settings or UserSettings.load()
        self._write_wait_shown = False

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notification is plain text: messages name payers, checks and files, which
        may hold brackets or control characters (SPEC 4)."""
        super().notify(visible(message, keep_newlines=True), title=visible(title),
                       severity=severity, timeout=timeout, markup=False)

    def action_help_quit(self) -> None:
        """Ctrl+C does not quit (it copies in a field): say which key does. Textual's own words
        carry markup, and every notification here is plain text."""
        for active in self.active_bindings.values():
            if active.binding.action in ("quit", "app.quit"):
                shown = self.get_key_display(active.binding)
                self.notify(f"Press {shown} to quit pctui.", title="Do you want to quit?")
                return

    def tell_fault(self, error: BaseException) -> bool:
        """Show a fault a user can meet as a notification; False when ``error`` is not one
        (an internal error, for ``_handle_exception``)."""
        message = user_message(error, self.store.label)
        if message is None:
            return False
        self.notify(message, title="Not done", severity="error", timeout=15, markup=False)
        return True

    def _handle_exception(self, error: Exception) -> None:
        """The top-level error policy (module docstring)."""
        if not self.tell_fault(error):
            super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """Textual's crash report shows local variables (an API key or a passphrase could be one
        of them) and the exception's text (which could quote patient data): one line instead;
        ``PCTUI_DEBUG=1`` shows the traceback, still without locals."""
        import rich
        from rich.segment import Segments
        from rich.text import Text
        from rich.traceback import Traceback

        self.bell()
        if os.environ.get("PCTUI_DEBUG"):
            renderable = Traceback(show_locals=False, width=None, suppress=[rich])
        else:
            error = self._exception or sys.exc_info()[1]
            kind = type(error).__name__ if error else "unknown"
            renderable = Text(
                f"pctui stopped: internal error ({kind}). Nothing more is shown so that no "
                "patient data or key reaches the screen; run with PCTUI_DEBUG=1 for details.")
        self._exit_renderables.append(
            Segments(self.console.render(renderable, self.console.options)))
        self._close_messages_no_wait()

    # -- waiting for another session's write ----------------------------------------------

    def _write_waiting(self, seconds: float | None) -> None:
        """Called by the store while a write waits for another session (SPEC 4)."""
        if threading.current_thread() is threading.main_thread():
            if seconds is not None and seconds >= UI_THREAD_WRITE_WAIT_SECONDS:
                raise StoreBusy(
                    "another session is writing to the database (a release or an import): "
                    "this change was not made yet — try again in a moment")
            return
        try:
            self.call_from_thread(self._show_write_wait, seconds)
        except RuntimeError:
            pass  # the app is closing

    def _show_write_wait(self, seconds: float | None) -> None:
        if seconds is not None and not self._write_wait_shown:
            self.notify("Another session is writing to the database (a release or an import); "
                        "this waits for its turn.", title="Waiting", timeout=6)
        self._write_wait_shown = seconds is not None
        self._update_subtitle(seconds)

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        with Horizontal(id="body"):
            sidebar = Sidebar(SECTIONS)
            sidebar.display = self.settings.sidebar
            yield sidebar
            with ContentSwitcher(id="sections", initial=SECTIONS[0].SECTION_ID):
                for section in SECTIONS:
                    yield section(id=section.SECTION_ID)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.store.waits.listener = self._write_waiting
        self._scheduled_polling = False
        self.set_interval(SCHEDULE_CHECK_SECONDS, self.poll_due_connections)
        self._update_subtitle()
        if self.secrets.passphrase_problem:
            self.notify(f"{self.secrets.passphrase_problem}. Press F9 to type it.",
                        title="Keyring", severity="error", timeout=15, markup=False)
        self.query_one(Sidebar).highlighted = 1
        keymap, problems = load_keymap(binding_ids())
        if keymap:
            self.set_keymap(keymap)
        for problem in [*self.settings.problems, *problems]:
            self.notify(problem, title="Settings", severity="warning", timeout=12)
        if self.actor.first_admin:
            self.notify(
                f"{self.actor.login} is the first user of this database and is now its admin. "
                "Add billers with `pctui users add NAME --role biller`.",
                title="Welcome", timeout=12,
            )
        elif self.actor.deactivated:
            self.notify(
                f"{self.actor.login} was deactivated in this database: everything is read-only. "
                f"An admin can run `pctui users reactivate {self.actor.login}`.",
                title="Read-only", severity="warning", timeout=12,
            )
        elif self.actor.role is None:
            self.notify(
                f"{self.actor.login} is not registered here: everything is read-only. "
                f"An admin can run `pctui users add {self.actor.login} --role biller`.",
                title="Read-only", severity="warning", timeout=12,
            )
        self.current_section.focus_content()

    # -- the poll schedule ----------------------------------------------------------------

    def due_connections(self) -> list[int]:
        """Active connections with a poll interval whose last poll (by anyone: cron, another
        session) is at least that long ago."""
        from datetime import UTC, datetime, timedelta

        from pctui.store import connections, mailbox

        last = mailbox.last_polls(self.store)
        now = datetime.now(UTC)
        return [c.id for c in connections.list_connections(self.store, include_inactive=False)
                if c.poll_minutes > 0 and not c.not_ready()
                and (c.id not in last or now - last[c.id] >= timedelta(minutes=c.poll_minutes))]

    def poll_due_connections(self) -> None:
        """The schedule (each connection's "Poll every"): polls what is due, in the background,
        one round at a time; tells the user only when files arrived or a poll failed."""
        if self._scheduled_polling or not self.actor.can_release:
            return
        due = self.due_connections()
        if due:
            self._scheduled_polling = True
            self._scheduled_poll(due)

    @work(thread=True, exclusive=True, group="scheduled-poll")
    def _scheduled_poll(self, connection_ids: list[int]) -> None:
        from pctui import exchange

        try:
            results = exchange.poll(self.store, self.secrets, self.actor, connection_ids)
        finally:
            self.call_from_thread(setattr, self, "_scheduled_polling", False)
        received = sum(len(r.received) for r in results)
        failed = [r for r in results if r.errors]
        if received or failed:
            text = f"{received} file{'s' if received != 1 else ''} received"
            if failed:
                text += "; failed: " + ", ".join(r.connection for r in failed)
            self.call_from_thread(self.notify, text, title="Scheduled poll",
                                  severity="warning" if failed else "information", markup=False)
            self.call_from_thread(self.current_section.refresh_data)

    def _update_subtitle(self, write_wait: float | None = None) -> None:
        keyring_state = "keyring locked" if self.secrets.locked else "keyring ready"
        if self.secrets.locked and self.secrets.passphrase_problem:
            keyring_state = "keyring: wrong passphrase"
        waiting = (f" · waiting for another session's write ({write_wait:.0f} s)"
                   if write_wait is not None else "")
        self.sub_title = visible(f"{self.actor.describe()} · {keyring_state}{waiting}")

    @property
    def current_section(self) -> Section:
        switcher = self.query_one("#sections", ContentSwitcher)
        return self.query_one(f"#{switcher.current}", Section)

    # -- navigation -----------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#sidebar")
    def _sidebar_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.action_show_section(event.option.id)

    def action_show_section(self, section_id: str) -> None:
        switcher = self.query_one("#sections", ContentSwitcher)
        switcher.current = section_id
        section = self.query_one(f"#{section_id}", Section)
        try:
            section.refresh_data()
        except Exception as error:  # the section is shown all the same, with what it had
            if not self.tell_fault(error):
                raise
        sidebar = self.query_one(Sidebar)
        sidebar.highlighted = sidebar.get_option_index(section_id)
        section.focus_content()

    def action_toggle_sidebar(self) -> None:
        """Hide the sidebar (F2… still switch sections) or show it and put the cursor in it.
        Remembered for this user (``pctui.ui.settings``)."""
        sidebar = self.query_one(Sidebar)
        sidebar.display = not sidebar.display
        if sidebar.display:
            sidebar.focus()
        else:
            self.current_section.focus_content()
        self.settings.sidebar = bool(sidebar.display)
        try:
            self.settings.save()
        except OSError as exc:
            self.notify(f"The sidebar setting could not be saved: {exc}", title="Settings",
                        severity="warning")

    def action_help(self) -> None:
        from pctui.ui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
        else:
            self.push_screen(HelpScreen(help_groups(), self._keymap))

    def action_unlock_keyring(self, then: Callable[[], None] | None = None) -> None:
        """The unlock dialog; ``then`` runs once the keyring is unlocked (k on a locked
        keyring unlocks first, then opens the key form)."""
        from pctui.ui.screens.keyring_unlock import KeyringUnlockModal

        if not self.secrets.locked:
            if then is not None:
                then()
                return
            self.notify(f"Keys are kept in the {self.secrets.describe()}.", title="Keyring")
            return

        def unlocked(result: bool | None) -> None:
            self._update_subtitle()
            if result:
                self.notify("Keyring unlocked: API keys can be saved.", title="Keyring")
                if then is not None:
                    then()

        self.push_screen(KeyringUnlockModal(self.secrets), unlocked)

    # -- command palette ------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for section in SECTIONS:
            yield SystemCommand(f"Go to {section.GROUP} → {section.TITLE}",
                                f"Open the {section.TITLE} section",
                                lambda s=section: self.action_show_section(s.SECTION_ID))
            for action in section.ACTIONS:
                yield SystemCommand(f"{section.TITLE}: {action.title}", action.help,
                                    lambda s=section, a=action: self._run_section_action(s, a.action))
        yield SystemCommand("Help: keys", "Every key of every section", self.action_help)
        yield SystemCommand("Unlock keyring", "Enter the passphrase of the encrypted keyring file",
                            self.action_unlock_keyring)
        yield from super().get_system_commands(screen)

    def _run_section_action(self, section: type[Section], action: str) -> None:
        self.action_show_section(section.SECTION_ID)
        self.call_later(self.query_one(f"#{section.SECTION_ID}", Section).run_action, action)


# -- help: every binding of every screen, dialog and shared widget ----------------------------

def help_groups() -> list[tuple[str, Sequence[Binding]]]:
    """(heading, bindings) for F1 help, from the BINDINGS each class defines itself (so an
    inherited binding is listed once, under the class that defines it)."""
    from pctui.ui.screens.audit_log import AuditLogScreen
    from pctui.ui.screens.batch_report import BatchReportScreen
    from pctui.ui.screens.claim_conflicts import ClaimConflictsScreen
    from pctui.ui.screens.claim_ledger import ClaimLedgerScreen
    from pctui.ui.screens.claim_out_detail import ClaimOutDetail
    from pctui.ui.screens.connection_form import ConnectionForm
    from pctui.ui.screens.era_detail import EraDetailScreen
    from pctui.ui.screens.era_import import EraImportDialog
    from pctui.ui.screens.error_worklist import CloseLineDialog, ErrorWorklistScreen
    from pctui.ui.screens.help import HelpScreen
    from pctui.ui.screens.keyring_unlock import KeyringUnlockModal
    from pctui.ui.screens.mailbox import MailboxFileViewer, MailboxFilterDialog
    from pctui.ui.screens.poll_progress import ConnectionTestScreen, _WorkDialog
    from pctui.ui.screens.record_form import RecordForm
    from pctui.ui.screens.release_835 import FilterBar
    from pctui.ui.screens.release_dialog import ReleaseDialog
    from pctui.ui.screens.rule_drawer import RuleDrawer
    from pctui.ui.screens.void_dialog import VoidDialog
    from pctui.ui.widgets.conflict import EditConflictModal
    from pctui.ui.widgets.list_table import (
        ExportDialog,
        ListPanel,
        ListTable,
        SearchInput,
        SortPicker,
    )
    from pctui.ui.widgets.modals import ConfirmationModal

    sections: list[tuple[str, type[DOMNode]]] = [
        (f"{s.GROUP} → {s.TITLE}", s) for s in SECTIONS]
    others: list[tuple[str, type[DOMNode]]] = [
        ("Every list", ListTable),
        ("Every list: searching", ListPanel),
        ("Every list: typing a search", SearchInput),
        ("Release 835: filters", FilterBar),
        ("Release 835: payment detail", EraDetailScreen),
        ("Release 835: release dialog", ReleaseDialog),
        ("Release 835: import dialog", EraImportDialog),
        ("Release 835: error-report worklist and Held list", ErrorWorklistScreen),
        ("Release 835: close an error-report line", CloseLineDialog),
        ("Release 835: void a release", VoidDialog),
        ("Release 835: batches", BatchReportScreen),
        ("Insurance Payers: connection form", ConnectionForm),
        ("Payer Rules: forms (rule, payer, override, code)", RecordForm),
        ("Payer Rules: rule drawer", RuleDrawer),
        ("Claims: ledger", ClaimLedgerScreen),
        ("Claims: conflicts", ClaimConflictsScreen),
        ("Claims Out: claim detail", ClaimOutDetail),
        ("Mailbox: filters", MailboxFilterDialog),
        ("Mailbox: file viewer", MailboxFileViewer),
        ("Poll now and Test connection", _WorkDialog),
        ("Test connection", ConnectionTestScreen),
        ("Audit log", AuditLogScreen),
        ("Keyring unlock", KeyringUnlockModal),
        ("Someone else saved the same record (a form's edit conflict)", EditConflictModal),
        ("Questions (yes / no)", ConfirmationModal),
        ("Sort picker", SortPicker),
        ("CSV export", ExportDialog),
        ("Help", HelpScreen),
    ]
    groups: list[tuple[str, Sequence[Binding]]] = [("Everywhere", own_bindings(PctuiApp))]
    for title, cls in [*sections, *others]:
        groups.append((title, own_bindings(cls)))
    return groups


def own_bindings(cls: type[DOMNode]) -> list[Binding]:
    return [b for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]


def binding_ids() -> set[str]:
    return {b.id for _, bindings in help_groups() for b in bindings if b.id}
