"""The one way stored text reaches a widget: ``plain(value)`` (STYLE.md).

A ``DataTable`` cell, a ``Static`` or an option given a ``str`` reads it as Rich markup, so a
payer named ``Evil [/] payer`` crashes the screen and ``[@click=...]`` becomes a link. A
``rich.text.Text`` is never parsed, and :func:`pctui.core.text.visible` has already turned
control characters into visible escapes.
"""

from __future__ import annotations

from rich.text import Text

from pctui.core.text import visible


def plain(value: object, *, style: str = "", justify: str | None = None,
          keep_newlines: bool = False) -> Text:
    """``value`` as literal text for a widget: no markup, no control characters."""
    return Text(visible(value, keep_newlines=keep_newlines), style=style,
                justify=justify)  # type: ignore[arg-type]
