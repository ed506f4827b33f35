"""What every sidebar section shares: its title, who may change it, its actions for the
command palette, and the read-only banner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual.containers import Vertical
from textual.widgets import Static

if TYPE_CHECKING:
    from pctui.ui.app import PctuiApp


@dataclass(frozen=True)
class SectionAction:
    """An action offered in the command palette; ``action`` is this section's action name."""

    title: str
    help: str
    action: str


class Section(Vertical):
    """Base of the sections shown beside the sidebar."""

    SECTION_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    GROUP: ClassVar[str] = ""  # sidebar group: ADMIN, PAYMENTS
    ACTIONS: ClassVar[list[SectionAction]] = []
    FOOTER_FIRST: ClassVar[bool] = True  # the footer shows a section's keys before a list's

    DEFAULT_CLASSES = "section"

    @property
    def pctui(self) -> PctuiApp:
        from pctui.ui.app import PctuiApp

        assert isinstance(self.app, PctuiApp)
        return self.app

    def read_only_reason(self) -> str | None:
        """Why the current user may not change this section, or None if they may."""
        return None

    def read_only_banner(self) -> Static:
        reason = self.read_only_reason()
        banner = Static(f"🔒 {reason}" if reason else "", classes="read-only-banner",
                        markup=False)
        banner.display = reason is not None
        return banner

    def refresh_data(self) -> None:
        """Re-read what the section shows from the database."""

    def deny_if_read_only(self) -> bool:
        """Tell the user why and return True if they may not change this section."""
        reason = self.read_only_reason()
        if reason:
            self.notify(reason, title="Read-only", severity="warning")
            return True
        return False

    def focus_content(self) -> None:
        """Put the keyboard focus on the section's main widget."""
        focusable = self.query("DataTable, OptionList, Input")
        if focusable:
            focusable.first().focus()
