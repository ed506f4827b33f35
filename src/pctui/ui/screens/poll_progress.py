"""Poll now and Test connection, off the UI thread, with what is happening shown as it happens.

Both run in a worker thread (``@work(thread=True)``); the transports bound every network step
with a time limit, so a dialog always ends. It cannot be closed while its work runs (the work
would go on unseen); afterwards Escape closes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from pctui import exchange
from pctui.core.connection_settings import SftpSettings
from pctui.gateways import Step, TestReport
from pctui.store import connections
from pctui.store.connections import ConnectionDraft
from pctui.store.errors import NotFound, PermissionDenied, ValidationFailed
from pctui.ui.widgets.modals import ConfirmationModal
from pctui.ui.widgets.text import plain


def stopped_by(error: BaseException, app: object) -> str:
    """An unexpected error in words (the app's error policy), never its text or a traceback."""
    from pctui.ui.app import user_message

    return user_message(error, app.store.path) or (
        f"stopped by an internal error ({type(error).__name__})")


class _WorkDialog(ModalScreen[bool]):
    """A dialog whose work runs in a thread: a title, a growing log, a closing line."""

    BINDINGS = [Binding("escape,q", "close", "Close", id="work_dialog.close")]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title
        self.running = True
        self.lines: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide work"):  # as tall as its log
            yield Static(plain(self.title_text), id="dialog-title")
            with VerticalScroll(id="work-log"):
                yield Static("", id="work-lines")
            yield Static("", id="work-state", classes="dialog-keys")

    def on_mount(self) -> None:
        self.set_state("Working… (this closes by itself within the connection's time limits)")
        self.start()

    def start(self) -> None:
        raise NotImplementedError

    def add_line(self, line: str) -> None:
        self.lines.append(line)
        self.query_one("#work-lines", Static).update(plain("\n".join(self.lines),
                                                           keep_newlines=True))
        self.query_one("#work-log", VerticalScroll).scroll_end(animate=False)

    def set_state(self, text: str) -> None:
        self.query_one("#work-state", Static).update(plain(text))

    def finished(self, state: str) -> None:
        self.running = False
        self.set_state(state)
        self.refresh_bindings()  # keys that wait for the work (h: pin) show now

    def action_close(self) -> None:
        if self.running:
            self.notify("Still working: it ends by itself within the time limits.",
                        severity="warning")
            return
        self.dismiss(True)


class PollScreen(_WorkDialog):
    """Poll now: one connection, several, or every active one (``None``)."""

    def __init__(self, connection_ids: Sequence[int] | None) -> None:
        what = "every active connection" if connection_ids is None else (
            "the connection" if len(connection_ids) == 1 else f"{len(connection_ids)} connections")
        super().__init__(f"Poll now — {what}")
        self.connection_ids = list(connection_ids) if connection_ids is not None else None
        self.results: list[exchange.PollResult] = []

    def start(self) -> None:
        self._poll()

    @work(thread=True, exclusive=True, group="poll")
    def _poll(self) -> None:
        app = self.app

        def progress(connection: str, doing: str) -> None:
            app.call_from_thread(self.set_state, f"{connection}: {doing}…")

        try:
            results = exchange.poll(app.store, app.secrets, app.actor,  # type: ignore[attr-defined]
                                    self.connection_ids, progress=progress)
        except (PermissionDenied, NotFound) as exc:
            app.call_from_thread(self.add_line, str(exc))
            app.call_from_thread(self.finished, "Nothing was polled. Escape closes.")
            return
        except Exception as exc:  # noqa: BLE001 - whatever stopped it, the dialog must end
            app.call_from_thread(self.add_line, stopped_by(exc, app))
            app.call_from_thread(self.finished, "Polling stopped; what was stored stays stored "
                                 "(the next poll goes on). Escape closes.")
            return
        app.call_from_thread(self._show, results)

    def _show(self, results: list[exchange.PollResult]) -> None:
        self.results = results
        if not results:
            self.add_line("No active connections to poll.")
        for r in results:
            got = len(r.received)
            self.add_line(f"{r.connection}: " + ("failed" if r.errors else
                                                 f"{got} file{'s' if got != 1 else ''} received"))
            for item in r.received:
                self.add_line(f"  {item.result:<14} {item.kind:<5} {item.name}"
                              + (f" — {item.summary}" if item.summary else ""))
                for error in item.errors:
                    self.add_line(f"      {error}")
            for error in r.errors:
                self.add_line(f"  ✗ {error}")
        failed = sum(1 for r in results if r.errors)
        self.finished(("Done" if not failed else f"Done; {failed} connection"
                       f"{'s' if failed != 1 else ''} failed") + ". Escape closes.")


class ConnectionTestScreen(_WorkDialog):
    """Test connection: each step in words; an SFTP server's unpinned or changed key can be
    pinned from here by an administrator, after comparing it with the provider's."""

    BINDINGS = [Binding("h", "pin_host_key", "Pin host key", id="connection_test.pin")]

    def __init__(self, connection_id: int, label: str) -> None:
        super().__init__(f"Test connection — {label}")
        self.connection_id = connection_id
        self.report: TestReport | None = None

    def start(self) -> None:
        self._test()

    @work(thread=True, exclusive=True, group="test")
    def _test(self) -> None:
        app = self.app
        try:
            report = exchange.test_connection(app.store, app.secrets, app.actor,  # type: ignore[attr-defined]
                                              self.connection_id)
        except (PermissionDenied, NotFound) as exc:
            app.call_from_thread(self.add_line, str(exc))
            app.call_from_thread(self.finished, "Not tested. Escape closes.")
            return
        except Exception as exc:  # noqa: BLE001 - whatever stopped it, the dialog must end
            app.call_from_thread(self.add_line, stopped_by(exc, app))
            app.call_from_thread(self.finished, "The test stopped. Escape closes.")
            return
        app.call_from_thread(self._show, report)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pin_host_key":  # only once the server has offered a key to pin
            return bool(not self.running and self.report and self.report.offered_host_key)
        return True

    def _show(self, report: TestReport) -> None:
        self.report = report
        for line in report.lines():
            self.add_line(line)
        failed = report.failed
        if report.ok:
            self.finished("The connection works. Escape closes.")
        elif failed is not None and failed.step is Step.HOST_KEY and report.offered_host_key \
                and self.app.actor.is_admin:  # type: ignore[attr-defined]
            self.add_line("")
            self.add_line(f"The server offers {report.offered_host_key}. Only if that is the "
                          "fingerprint your provider published, press h to pin it.")
            self.finished("h: pin the offered host key · Escape closes.")
        else:
            self.finished(f"{failed.step.label if failed else 'A step'} failed. Escape closes.")

    def action_pin_host_key(self) -> None:
        report = self.report
        if self.running or report is None or not report.offered_host_key:
            return
        app = self.app
        if not app.actor.is_admin:  # type: ignore[attr-defined]
            self.notify("Only an admin may pin a host key.", severity="warning")
            return
        view = connections.get_connection(app.store, self.connection_id)  # type: ignore[attr-defined]
        if not isinstance(view.settings, SftpSettings):
            return
        offered = report.offered_host_key
        old = view.settings.host_key or "none"

        def confirmed(ok: bool | None) -> None:
            if not ok:
                return
            draft: ConnectionDraft = view.draft()
            assert draft.settings is not None
            draft.settings["host_key"] = offered
            try:
                connections.save_connection(app.store, app.secrets, app.actor, draft,  # type: ignore[attr-defined]
                                            view.id)
            except (ValidationFailed, PermissionDenied) as exc:
                self.notify(str(exc), severity="error")
                return
            self.add_line(f"Pinned {offered}. Test again (t) to log in.")
            self.finished("Host key pinned. Escape closes.")
            self.report = None

        app.push_screen(ConfirmationModal(
            "Pin this host key?",
            f"{view.label}\nPinned now: {old}\nThe server offers: {offered}\n\nPin it only if "
            "it is the fingerprint your provider published. This may affect live claims "
            "submission.", "Pin", "Go back", warning=True), confirmed)
