"""The one list widget: a table of records that fits 80 columns, sorts, searches, exports and
pages (STYLE.md: "a paged table" that every section shares).

Use it like this::

    COLUMNS = [
        Column("payer", "Payer", lambda c: c.payer_code),
        Column("name", "Connection", lambda c: c.name, min_width=12, max_width=32),
        Column("key", "API key", lambda c: c.key_state),
        Column("endpoint", "Endpoint", lambda c: c.endpoint, priority=3),
    ]
    table = ListTable(COLUMNS, key=lambda c: c.id, export_name="connections", id="connections")
    ...
    table.show(rows)              # the cursor stays on the same record (by key)
    table.highlighted             # the record under the cursor, or None
    table.move_to(lambda c: c.id == new.id)

What the user gets, with no code in the screen:

- **Columns that fit.** Every column has a ``priority``: 1 is essential and always on screen;
  higher numbers give way first when the terminal is narrow. Columns that do not fit move to the
  right of the screen, in their order, and ``←``/``→`` scroll sideways one whole column at a
  time. Widths follow the content between ``min_width`` and ``max_width``: a wider terminal
  shows more columns and longer values (a full EFT trace number) before anything is cut.
- **Sort** (``s``): pick a column; picking it again reverses it. The header shows ▲/▼.
- **Search**: put the table in a :class:`ListPanel` and ``/`` opens a search line above it; the
  list keeps only rows whose text holds what is typed. ``Escape`` clears it. While a search is
  applied the line stays visible with "3 of 7", so a filtered list never looks like lost data.
- **Export** (``Ctrl+E``): every row of the list (all pages, as searched and sorted) to a CSV
  file, written atomically with mode 0600 (:mod:`pctui.core.export`).
- ``Home``/``End`` move the cursor to the first/last row.
- **Paging** for lists read a page at a time in SQL (``paged=True``): ``n``/``p`` and moving
  past the first or last row post :class:`ListTable.PageWanted`; the owner reads that page and
  calls :meth:`show` with ``page``/``pages``. ``n`` on the last page says so. Such lists sort
  and search in SQL: pass ``sorts_itself=False`` and handle :class:`ListTable.SortChanged`
  (and :class:`ListPanel.SearchChanged`), and give ``export_rows`` to read every row.

Every cell is shown as literal text: a ``str`` goes through
:func:`pctui.ui.widgets.text.plain`, so stored markup and control characters can never change
the screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

from pctui.core.export import ExportFailed, write_csv
from pctui.core.money import display
from pctui.core.wording import local_time, plural
from pctui.ui.widgets.text import plain

T = TypeVar("T")

GAP = 1  # blank cells between two columns (the table's own cell padding is off)
SCROLLBAR = 1  # ListTable's vertical scrollbar, see DEFAULT_CSS
SEARCH_MAX_LENGTH = 200  # pctui.store.claims.MAX_SEARCH, pctui.store.eras.MAX_SEARCH


@dataclass(frozen=True)
class Column(Generic[T]):
    """One column: what it shows of a record and how much room it may take.

    ``value`` returns what the cell shows: ``str`` (shown literally), ``rich.text.Text``
    (styled by the screen; build it with ``plain()``), ``Decimal`` (money), ``date``,
    ``datetime`` (shown in local time), ``bool`` (yes/no), ``int``, or ``None`` (—).
    ``sort_key`` orders the column (default: the value itself); ``csv`` is what an export
    writes (default: the value).
    """

    key: str
    label: str
    value: Callable[[T], object]
    priority: int = 1
    min_width: int = 0  # 0: the width of the label
    max_width: int = 40
    comfortable: int = 0  # a less important column may take room down to this (0: none)
    align: Literal["left", "right"] = "left"
    sort_key: Callable[[T], Any] | None = None
    csv: Callable[[T], object] | None = None

    @property
    def narrowest(self) -> int:
        return self.min_width or cell_len(self.label)


def cell_text(value: object) -> Text:
    """What a cell shows for ``value`` (see :class:`Column`)."""
    if isinstance(value, Text):
        return value
    if value is None:
        return Text("—")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if isinstance(value, Decimal):
        return Text(display(value))
    if isinstance(value, datetime):
        return Text(local_time(value))
    if isinstance(value, date):
        return Text(value.isoformat())
    if isinstance(value, int):
        return Text(f"{value:,}")
    return plain(value)


def sort_value(value: object) -> tuple[int, Any]:
    """Empty values last; text without case."""
    if value is None or value == "":
        return (1, "")
    if isinstance(value, Text):
        value = value.plain
    if isinstance(value, str):
        return (0, value.casefold())
    if isinstance(value, datetime) and value.tzinfo is None:
        return (0, value.isoformat())
    if isinstance(value, (datetime, date)):
        return (0, value.isoformat())
    return (0, value)


def fit_columns(columns: Sequence[Column[Any]], natural: dict[str, int],
                available: int) -> tuple[list[Column[Any]], dict[str, int], int]:
    """Screen order and width of each column for a table ``available`` cells wide.

    Essential columns (priority 1) are always on screen, in their declared order. A less
    important level joins them only while every more important column still gets its natural
    width (the widest value, up to ``max_width``) — or its ``comfortable`` width, when it has
    one and the value is longer — and the level's columns fit at least at their narrowest. Room is then shared out level by level, evenly within a level, so one
    long value does not squeeze its neighbours. Columns that do not fit follow on the right
    at their natural width, for sideways scrolling; the room left over (the third value)
    pads the last column on screen, so the first hidden one starts at the right edge.
    """
    levels = sorted({c.priority for c in columns})
    shown: list[Column[Any]] = [c for c in columns if c.priority == levels[0]]
    for level in levels[1:]:
        adding = [c for c in columns if c.priority == level]
        need = (sum(_kept(c, natural) for c in shown) + sum(c.narrowest for c in adding)
                + GAP * (len(shown) + len(adding) - 1))
        if need > available:
            break
        shown += adding
    keys = {c.key for c in shown}
    visible = [c for c in columns if c.key in keys]
    widths = {c.key: min(c.narrowest, natural[c.key]) if c.key in keys else natural[c.key]
              for c in columns}
    room = available - sum(widths[c.key] for c in visible) - GAP * max(0, len(visible) - 1)
    for level in levels:
        growing = [c for c in visible if c.priority == level]
        while room > 0:  # one cell at a time to each column still short of its natural width
            short = [c for c in growing if widths[c.key] < natural[c.key]]
            if not short:
                break
            for column in short:
                if room <= 0:
                    break
                widths[column.key] += 1
                room -= 1
    hidden = [c for c in columns if c.key not in keys]
    return visible + hidden, widths, max(0, room) if hidden else 0


def _kept(column: Column[Any], natural: dict[str, int]) -> int:
    """How much of its natural width a column keeps when less important ones join it."""
    if column.comfortable:
        return max(column.narrowest, min(natural[column.key], column.comfortable))
    return natural[column.key]


class ListTable(DataTable[Text], Generic[T]):
    """A table of records; see the module docstring for what it does and how to use it."""

    DEFAULT_CSS = """
    ListTable {
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 1;
    }
    """

    BINDINGS = [
        Binding("home", "first_row", "First row", show=False, id="list.first_row"),
        Binding("end", "last_row", "Last row", show=False, id="list.last_row"),
        Binding("right", "column_right", "Scroll right one column", show=False,
                id="list.column_right"),
        Binding("left", "column_left", "Scroll left one column", show=False,
                id="list.column_left"),
        Binding("s", "sort", "Sort", id="list.sort"),
        Binding("ctrl+e", "export", "Export CSV", id="list.export"),
        Binding("n", "next_page", "Next page", id="list.next_page"),
        Binding("p", "previous_page", "Prev page", id="list.previous_page"),
    ]

    class PageWanted(Message):
        """The user moved past the first/last row or pressed n/p: show page ``page``
        (0-based) with the cursor on ``cursor_row`` (-1: the last row)."""

        def __init__(self, table: ListTable[Any], page: int, cursor_row: int) -> None:
            super().__init__()
            self.table = table
            self.page = page
            self.cursor_row = cursor_row

        @property
        def control(self) -> ListTable[Any]:
            return self.table

    class SortChanged(Message):
        """The user picked a sort (for lists that sort in SQL, ``sorts_itself=False``)."""

        def __init__(self, table: ListTable[Any], column: str | None, reverse: bool) -> None:
            super().__init__()
            self.table = table
            self.column = column
            self.reverse = reverse

        @property
        def control(self) -> ListTable[Any]:
            return self.table

    def __init__(self, columns: Sequence[Column[T]], *, key: Callable[[T], object] | None = None,
                 export_name: str = "list", noun: str = "row",
                 row_style: Callable[[T], str] | None = None, paged: bool = False,
                 sorts_itself: bool = True,
                 export_rows: Callable[[], Iterable[T]] | None = None,
                 sort: tuple[str, bool] | None = None, fixed_columns: int = 0,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True,
                         cell_padding=0, fixed_columns=fixed_columns)
        self.list_columns = list(columns)
        self.key_of = key or id_of
        self.export_name = export_name
        self.noun = noun
        self.row_style = row_style
        self.paged = paged
        self.sorts_itself = sorts_itself
        self.export_rows = export_rows
        self.sort_column, self.sort_reverse = sort if sort else (None, False)
        self.search = ""
        self.page = 0
        self.pages = 1
        self._items: list[T] = []  # every record given to show()
        self._shown: list[T] = []  # after search and sort, in screen order
        self._layout: tuple[tuple[str, ...], tuple[int, ...]] = ((), ())
        self._width = 0  # from the last Resize (the region is not updated yet when it comes)
        self._fitted_layout: tuple[tuple[str, ...], tuple[int, ...], int] = ((), (), 0)

    # -- what is shown ---------------------------------------------------------------------

    @property
    def shown(self) -> list[T]:
        """The records on screen, in screen order (after search and sort)."""
        return list(self._shown)

    @property
    def highlighted(self) -> T | None:
        if not self._shown or not 0 <= self.cursor_row < len(self._shown):
            return None
        return self._shown[self.cursor_row]

    def show(self, items: Iterable[T], *, page: int | None = None, pages: int | None = None,
             cursor_row: int | None = None) -> None:
        """Show ``items``. The cursor stays on the record it was on (by key), else on
        ``cursor_row`` (-1: the last row), else where it was."""
        keep = self.key_of(self.highlighted) if self.highlighted is not None else None
        row_before = self.cursor_row
        self._items = list(items)
        if page is not None:
            self.page = page
        if pages is not None:
            self.pages = max(1, pages)
        self._arrange()
        self._draw(keep if cursor_row is None else None,
                   row_before if cursor_row is None else cursor_row)

    def move_to(self, match: Callable[[T], bool]) -> bool:
        """Put the cursor on the first shown record that ``match``es; False if none does."""
        for index, item in enumerate(self._shown):
            if match(item):
                self.move_cursor(row=index)
                return True
        return False

    def redraw(self, item: T) -> None:
        """Repaint one record's row after it changed (same key), without moving anything."""
        key = str(self.key_of(item))
        for index, shown in enumerate(self._shown):
            if str(self.key_of(shown)) == key:
                self._shown[index] = item
                break
        else:
            return
        for pos, item_ in enumerate(self._items):
            if str(self.key_of(item_)) == key:
                self._items[pos] = item
        cells = self._cells(item)
        for column_key in self._layout[0]:
            self.update_cell(key, column_key, cells[column_key])

    def set_search(self, text: str) -> None:
        """Keep only records whose shown text holds ``text`` (any case); "" shows all."""
        self.search = text.strip()
        if self.sorts_itself:
            keep = self.key_of(self.highlighted) if self.highlighted is not None else None
            self._arrange()
            self._draw(keep, 0)

    def sort_by(self, column: str | None, reverse: bool = False) -> None:
        """Order by ``column`` (None: the order the records came in)."""
        self.sort_column, self.sort_reverse = column, reverse
        if self.sorts_itself:
            keep = self.key_of(self.highlighted) if self.highlighted is not None else None
            self._arrange()
            self._draw(keep, 0, relayout=True)
        else:
            self._draw(None, self.cursor_row, relayout=True)
            self.post_message(self.SortChanged(self, column, reverse))

    @property
    def total(self) -> int:
        """Records given to show() (before the search)."""
        return len(self._items)

    # -- layout and drawing ----------------------------------------------------------------

    def _arrange(self) -> None:
        items = self._items
        if self.sorts_itself and self.search:
            needle = self.search.casefold()
            items = [i for i in items if needle in self._search_text(i)]
        if self.sorts_itself and self.sort_column is not None:
            column = next((c for c in self.list_columns if c.key == self.sort_column), None)
            if column is not None:
                getter = column.sort_key or column.value
                items = sorted(items, key=lambda i: sort_value(getter(i)),
                               reverse=self.sort_reverse)
        self._shown = list(items)

    def _search_text(self, item: T) -> str:
        return " ".join(cell_text(c.value(item)).plain for c in self.list_columns).casefold()

    def _cells(self, item: T) -> dict[str, Text]:
        style = self.row_style(item) if self.row_style else ""
        widths = self._widths()
        out: dict[str, Text] = {}
        ordered = self._ordered()
        for index, column in enumerate(ordered):
            text = cell_text(column.value(item)).copy()
            if style:
                text.stylize_before(style)
            out[column.key] = self._fitted(text, column, widths.get(column.key),
                                           last=index == len(ordered) - 1)
        return out

    def _widths(self) -> dict[str, int]:
        order, widths = self._layout
        return dict(zip(order, widths, strict=True))


    def _ordered(self) -> list[Column[T]]:
        order, _ = self._layout
        by_key = {c.key: c for c in self.list_columns}
        return [by_key[k] for k in order] if order else list(self.list_columns)

    @staticmethod
    def _fitted(text: Text, column: Column[Any], width: int | None, last: bool) -> Text:
        """Cut to the column's content width (…), so the blank after it stays blank; a
        right-aligned value is padded on its left to the column's width."""
        text.no_wrap = True
        text.overflow = "ellipsis"
        if width is not None and text.cell_len > width:
            text.truncate(width, overflow="ellipsis")
        if column.align == "right" and width is not None and text.cell_len < width:
            text.pad_left(width - text.cell_len)
        return text

    def _header(self, column: Column[Any], width: int) -> Text:
        arrow = ""
        if column.key == self.sort_column:
            arrow = " ▼" if self.sort_reverse else " ▲"
        label = Text(column.label + arrow, style="bold")
        return self._fitted(label, column, width, last=column.key == self._layout[0][-1])

    def _natural_widths(self) -> dict[str, int]:
        natural: dict[str, int] = {}
        for column in self.list_columns:
            arrow = 2 if column.key == self.sort_column else 0
            widest = max((cell_text(column.value(i)).cell_len for i in self._shown), default=0)
            width = max(widest, cell_len(column.label) + arrow)
            natural[column.key] = max(column.narrowest, min(width, column.max_width))
        return natural

    def _available(self) -> int:
        width = self._width or self.size.width or 80
        return max(20, width - SCROLLBAR)

    def _fit(self) -> tuple[tuple[str, ...], tuple[int, ...], int]:
        order, widths, slack = fit_columns(self.list_columns, self._natural_widths(),
                                           self._available())
        return tuple(c.key for c in order), tuple(widths[c.key] for c in order), slack

    def _draw(self, keep_key: object | None, fallback_row: int, relayout: bool = False) -> None:
        layout = self._fit()
        if relayout or layout != self._fitted_layout or not self.columns:
            order, widths, slack = layout
            self._fitted_layout = layout
            self._layout = (order, widths)
            visible = len(order) - sum(1 for k in order if k in self._hidden_keys(layout))
            self.clear(columns=True)
            by_key = {c.key: c for c in self.list_columns}
            for index, key in enumerate(order):
                gap = GAP if index < len(order) - 1 else 0  # the blank after it
                if index == visible - 1 and visible < len(order):
                    # the last column on screen takes the room left (and the scrollbar's cell,
                    # blank while the list has no vertical scrollbar), so the first hidden one
                    # starts at the right edge
                    gap = slack + SCROLLBAR
                self.add_column(self._header(by_key[key], widths[index]), key=key,
                                width=widths[index] + gap)
        else:
            self.clear()
        for item in self._shown:
            cells = self._cells(item)
            self.add_row(*(cells[k] for k in self._layout[0]), key=str(self.key_of(item)))
        if not self._shown:
            return
        index = next((i for i, item in enumerate(self._shown)
                      if keep_key is not None and self.key_of(item) == keep_key), None)
        if index is None:
            index = len(self._shown) - 1 if fallback_row < 0 else fallback_row
        self.move_cursor(row=max(0, min(index, len(self._shown) - 1)), animate=False)

    def _hidden_keys(self, layout: tuple[tuple[str, ...], tuple[int, ...], int]) -> set[str]:
        """Columns placed after the ones that fit (off-screen until scrolled to)."""
        order, widths, _ = layout
        room, used, hidden = self._available(), 0, set()
        for index, (key, width) in enumerate(zip(order, widths, strict=True)):
            used += width + (GAP if index else 0)
            if used > room:
                hidden.add(key)
        return hidden

    def on_resize(self, event: events.Resize) -> None:
        self._width = event.size.width
        if not self._items and not self.columns:
            return
        if self._fit() != self._fitted_layout:
            keep = self.key_of(self.highlighted) if self.highlighted is not None else None
            self._draw(keep, self.cursor_row, relayout=True)

    # -- keys ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next_page", "previous_page"):
            return self.paged  # otherwise n and p belong to the screen
        return True

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def _column_starts(self) -> list[int]:
        starts, x = [], 0
        for column in self.ordered_columns:
            starts.append(x)
            x += column.get_render_width(self)
        return starts

    def _fixed_width(self) -> int:
        return sum(c.get_render_width(self) for c in self.ordered_columns[: self.fixed_columns])

    def action_column_right(self) -> None:
        """Scroll so the next column starts at the left edge (or the last one shows whole)."""
        fixed = self._fixed_width()
        starts = self._column_starts()[self.fixed_columns:]
        target = next((s - fixed for s in starts if s - fixed > round(self.scroll_x)), None)
        if target is None or self.scroll_x >= self.max_scroll_x:
            self.app.bell()
            return
        self.scroll_to(x=min(target, self.max_scroll_x), animate=False)

    def action_column_left(self) -> None:
        fixed = self._fixed_width()
        starts = self._column_starts()[self.fixed_columns:]
        before = [s - fixed for s in starts if s - fixed < round(self.scroll_x)]
        if not before:
            self.app.bell()
            return
        self.scroll_to(x=max(0, before[-1]), animate=False)

    def action_sort(self) -> None:
        columns = [c for c in self.list_columns]

        def picked(choice: tuple[str | None, bool] | None) -> None:
            if choice is not None:
                self.sort_by(*choice)
                column = next((c.label for c in columns if c.key == choice[0]), None)
                self.notify(f"Sorted by {column}, {'descending' if choice[1] else 'ascending'}."
                            if column else "Back to the list's own order.", title="Sort")

        self.app.push_screen(SortPicker(columns, self.sort_column, self.sort_reverse), picked)

    def action_export(self) -> None:
        rows = self.export_rows
        self.app.push_screen(ExportDialog(self.list_columns, rows or self.shown_for_export,
                                          self.export_name, self.noun))

    def shown_for_export(self) -> list[T]:
        return self.shown

    def action_next_page(self) -> None:
        if self.page + 1 >= self.pages:
            self.notify(f"This is the last page (page {self.page + 1} of {self.pages}).",
                        title="Paging")
            return
        self.post_message(self.PageWanted(self, self.page + 1, 0))

    def action_previous_page(self) -> None:
        if self.page <= 0:
            self.notify("This is the first page.", title="Paging")
            return
        self.post_message(self.PageWanted(self, self.page - 1, 0))

    # moving past the page's first or last row turns the page
    def _at_edge(self, forward: bool) -> bool:
        if not self.paged or not self.row_count:
            return False
        if forward and self.cursor_row >= self.row_count - 1 and self.page + 1 < self.pages:
            self.post_message(self.PageWanted(self, self.page + 1, 0))
            return True
        if not forward and self.cursor_row <= 0 and self.page > 0:
            self.post_message(self.PageWanted(self, self.page - 1, -1))
            return True
        return False

    def action_cursor_down(self) -> None:
        if not self._at_edge(True):
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if not self._at_edge(False):
            super().action_cursor_up()

    def action_page_down(self) -> None:
        if not self._at_edge(True):
            super().action_page_down()

    def action_page_up(self) -> None:
        if not self._at_edge(False):
            super().action_page_up()


def id_of(item: object) -> object:
    """The default record key: its ``id``."""
    return item.id


class SearchInput(Input):
    """The search line of a list: Enter goes back to the list (the footer says so)."""

    BINDINGS = [Binding("enter", "submit", "To the list", id="list.search_done")]


class ListPanel(Vertical):
    """A :class:`ListTable` with its search line above it: ``/`` searches, ``Enter`` goes back
    to the list, ``Escape`` clears the search. It posts :class:`ListPanel.SearchChanged` when
    the search changes: as it is typed for lists searched in memory, on Enter (or when it is
    cleared) for lists searched in SQL (``sorts_itself=False``), which read again then."""

    DEFAULT_CSS = """
    ListPanel {
        height: 1fr;
    }
    ListPanel > .list-search {
        height: 1;
    }
    ListPanel > .list-search > Input {
        width: 1fr;
        background: $boost;
    }
    ListPanel > .list-search > Input:focus {
        background: $accent 40%;
    }
    ListPanel > .list-search > .list-search-count {
        width: auto;
        padding: 0 0 0 1;
        color: $text-muted;
    }
    """

    BINDINGS = [
        # priority: acted on when read, so "/garcia" typed ahead lands in the search
        Binding("slash", "search", "Search", id="list.search", priority=True),
        Binding("escape", "clear_search", "Clear search", id="list.clear_search"),
    ]

    class SearchChanged(Message):
        def __init__(self, panel: ListPanel, text: str) -> None:
            super().__init__()
            self.panel = panel
            self.text = text

        @property
        def control(self) -> ListPanel:
            return self.panel

    def __init__(self, table: ListTable[Any], *, placeholder: str = "Search",
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.table = table
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Horizontal(classes="list-search") as line:
            line.display = False
            # the footer says Enter and Escape; the placeholder keeps the room for what to type
            yield SearchInput(placeholder=self.placeholder, compact=True,
                              classes="list-search-input")
            yield Static("", classes="list-search-count", markup=False)
        yield self.table

    @property
    def search_input(self) -> Input:
        return self.query_one(".list-search-input", Input)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "search":
            return self.screen.focused is not self.search_input  # in the search, / is text
        if action == "clear_search":
            # Escape clears a search, or closes a search line opened by mistake; with neither
            # it belongs to the screen (closing a dialog)
            return bool(self.table.search or self.search_input.value
                        or self.query_one(".list-search").display)
        return True

    def action_search(self) -> None:
        self.query_one(".list-search").display = True
        # At once, not after a refresh (Widget.focus): "/garcia" typed ahead over a slow SSH
        # link must land in the search, not act as the list's keys.
        self.screen.set_focus(self.search_input)

    def action_clear_search(self) -> None:
        self.search_input.value = ""
        self._apply("")
        self.query_one(".list-search").display = False
        self.table.focus()

    @on(Input.Changed, ".list-search-input")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self.table.sorts_itself:
            self._apply(event.value)

    @on(Input.Submitted, ".list-search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply(event.value)
        if not event.value.strip():
            self.query_one(".list-search").display = False
        self.table.focus()

    def _apply(self, text: str) -> None:
        changed = text.strip() != self.table.search
        self.table.set_search(text)
        if changed:
            self.post_message(self.SearchChanged(self, text.strip()))
        self.show_count()

    def show_count(self, matching: int | None = None, total: int | None = None) -> None:
        """The "3 of 7" beside the search; lists searched in SQL give their own counts."""
        count = self.query_one(".list-search-count", Static)
        if not self.table.search:
            count.update("")
            return
        matching = len(self.table.shown) if matching is None else matching
        total = self.table.total if total is None else total
        count.update(f"{matching:,} of {total:,}" if self.table.sorts_itself else
                     plural(matching, self.table.noun) + " match")
        self.query_one(".list-search").display = True

    def on_mount(self) -> None:
        # A paste longer than any search (a file pasted by mistake) is refused whole: the
        # stores refuse searches past 200 characters (SQLite's LIKE fails past 50,000).
        self.search_input.max_length = SEARCH_MAX_LENGTH


class SortPicker(ModalScreen[tuple[str | None, bool] | None]):
    """Pick the column to sort by; the current one again reverses it."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="sort_picker.cancel")]

    def __init__(self, columns: Sequence[Column[Any]], current: str | None,
                 reverse: bool) -> None:
        super().__init__(classes="sort-picker")
        self.columns = list(columns)
        self.current = current
        self.reverse = reverse

    def compose(self) -> ComposeResult:
        options = [Option(Text("As listed (no sort)"), id="")]
        for column in self.columns:
            if column.key == self.current:
                how = "▲ ascending, Enter reverses" if not self.reverse else (
                    "▼ descending, Enter reverses")
                options.append(Option(Text(f"{column.label}  {how}"), id=column.key))
            else:
                options.append(Option(Text(column.label), id=column.key))
        with Vertical(id="dialog", classes="picker"):
            yield Static("Sort by", id="dialog-title", markup=False)
            yield OptionList(*options, id="sort-options")
            yield Static("↑↓ then Enter · Esc: cancel", classes="dialog-keys", markup=False)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        keys = ["", *(c.key for c in self.columns)]
        options.highlighted = keys.index(self.current) if self.current in keys else 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        key = event.option.id or None
        reverse = (not self.reverse) if key == self.current and key is not None else False
        self.dismiss((key, reverse))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def default_export_path(name: str, now: datetime | None = None) -> Path:
    """``~/pctui-<name>-YYYYMMDD-HHMM.csv``: a new file each minute, in the home folder."""
    moment = (now or datetime.now()).strftime("%Y%m%d-%H%M")
    return Path.home() / f"pctui-{name}-{moment}.csv"


class ExportDialog(ModalScreen[Path | None]):
    """Asks where to write the CSV, writes it off the UI thread, says how many rows went where."""

    BINDINGS = [
        Binding("ctrl+s", "write", "Write", id="export.write"),
        Binding("escape", "close", "Close", id="export.close"),
    ]

    def __init__(self, columns: Sequence[Column[Any]], rows: Callable[[], Iterable[Any]],
                 name: str, noun: str) -> None:
        super().__init__()
        self.columns = list(columns)
        self.rows = rows
        self.export_name = name
        self.noun = noun
        self.written: Path | None = None
        self.running = False

    def compose(self) -> ComposeResult:
        from pctui.ui.widgets.form_field import FormField
        from pctui.ui.widgets.path_suggester import PathSuggester

        with Vertical(id="dialog", classes="export"):
            yield Static(f"Export {self.export_name} to CSV", id="dialog-title", markup=False)
            yield Static("Every row of the list as it is searched and sorted, all pages. The "
                         "file is readable by you only (mode 600): it may hold patient data.",
                         id="dialog-message", markup=False)
            yield FormField("File", Input(str(default_export_path(self.export_name)),
                                          id="export-path", suggester=PathSuggester()),
                            required=True, field_name="path",
                            hint="Enter writes it (an existing file is replaced); → completes "
                                 "a folder name")
            yield Static("", id="export-status", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Write (Enter)", id="write", variant="primary")
                yield Button("Close (Esc)", id="close")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Changed, "#export-path")
    def _path_changed(self) -> None:
        from pctui.ui.widgets.form_field import FormField

        self.query_one("#field-path", FormField).set_error(None)

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#write")
    def action_write(self) -> None:
        from pctui.ui.widgets.form_field import FormField

        if self.running:
            return
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self.query_one("#field-path", FormField).set_error("required: where to write it")
            return
        self.running = True
        self.query_one("#export-status", Static).update("Writing…")
        self._write(Path(text).expanduser(), self.rows())

    @work(thread=True, exclusive=True, group="export")
    def _write(self, path: Path, rows: Iterable[Any]) -> None:
        header = [c.label for c in self.columns]
        getters = [c.csv or c.value for c in self.columns]
        try:
            count = write_csv(path, header, ([g(r) for g in getters] for r in rows))
        except ExportFailed as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._done, path, count)

    def _failed(self, message: str) -> None:
        from pctui.ui.widgets.form_field import FormField

        self.running = False
        self.query_one("#export-status", Static).update("")
        self.query_one("#field-path", FormField).set_error(message)

    def _done(self, path: Path, count: int) -> None:
        self.running = False
        self.written = path
        self.query_one("#export-status", Static).update(
            plain(f"✓ Wrote {plural(count, self.noun)} to {path} (mode 600)."))
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        if self.running:
            self.notify("The export is still being written.", severity="warning")
            return
        self.dismiss(self.written)
