"""Text from files, payers and users, made safe to show and checked before it is stored.

SPEC 4: such text is shown as text — never interpreted as markup — and control characters
never reach the terminal. Two functions, used everywhere:

- :func:`visible` for output: every control character (C0, DEL, C1), every bidirectional
  override or isolate, the line and paragraph separators, and every other invisible format
  character is replaced by a visible escape (``\\x1b``, ``\\u202e``, ``\\U000e0041``), so what
  a payer sent is readable and cannot move the cursor, clear the screen, reorder a line or
  break one value into two lines. Markup brackets are left alone: the UI wraps the result
  in ``rich.text.Text`` (``pctui.ui.widgets.text.plain``), which never reads markup.
- :func:`unsafe_characters` for input: what :func:`visible` would escape, named, so a form or
  ``config import`` refuses it with a reason instead of storing it.
"""

from __future__ import annotations

import unicodedata

# Bidirectional embeddings, overrides and isolates, and the marks that reorder text silently.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _unsafe(ch: str) -> bool:
    if ch in _BIDI:
        return True
    # Cc: C0, DEL, C1 controls. Cf: format characters (zero-width, BOM, tags, ...). Cs: lone
    # surrogates (from a JSON "\ud800"). Zl/Zp: U+2028/U+2029, which break a line for
    # str.splitlines() and some terminals. Co/Cn are left alone (private use, unassigned).
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with every control or invisible character shown as an escape (``\\x1b``).

    ``keep_newlines``: a line feed stays a line feed (for multi-line viewers); otherwise it is
    escaped too, so one stored value is always one line on screen.
    """
    value = "" if text is None else str(text)
    if value.isprintable() and not any(ch in _BIDI for ch in value):
        return value  # the usual case, without a per-character walk
    out = []
    for ch in value:
        if keep_newlines and ch == "\n":
            out.append(ch)
        elif _unsafe(ch):
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)


def unsafe_characters(text: str, *, allow_newlines: bool = False) -> list[str]:
    """Names of the characters :func:`visible` would escape, each once, in order of appearance:
    ``["escape (\\x1b)", "right-to-left override (\\u202e)"]``. Empty when ``text`` is clean."""
    found: dict[str, None] = {}
    for ch in text:
        if allow_newlines and ch == "\n":
            continue
        if _unsafe(ch):
            found[_describe(ch)] = None
    return list(found)


def _describe(ch: str) -> str:
    names = {"\x00": "NUL", "\x07": "bell", "\x1b": "escape", "\r": "carriage return",
             "\n": "line feed", "\t": "tab", "\x7f": "delete"}
    try:
        name = names.get(ch) or unicodedata.name(ch).lower()
    except ValueError:
        name = "control character" if unicodedata.category(ch) != "Cs" else "lone surrogate"
    return f"{name} ({_escape(ch)})"


def why_not_a_date(text: str) -> str:
    """Why ``text`` (already found not to be a date) is not one, in words: a YYYY-MM-DD that no
    calendar has (2026-02-30), or not written YYYY-MM-DD at all."""
    shape = len(text) == 10 and text[4] == "-" and text[7] == "-" and \
        (text[:4] + text[5:7] + text[8:]).isdigit()
    if shape:
        return f"'{text}' is not a day on the calendar"
    return f"'{text}' is not a date: use YYYY-MM-DD"
