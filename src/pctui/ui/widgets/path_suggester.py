"""Path completion for a file or folder typed into an Input (import, CSV export): the rest of
the first name in that folder that starts with what was typed is suggested in grey, and →
(at the end of the line) takes it; a folder's suggestion ends in "/" so the next name can
follow."""

from __future__ import annotations

import os
from pathlib import Path

from textual.suggester import Suggester


class PathSuggester(Suggester):
    def __init__(self, *, folders_only: bool = False) -> None:
        super().__init__(use_cache=False, case_sensitive=True)  # folders change under us
        self.folders_only = folders_only

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value, folders_only=self.folders_only)


def complete_path(value: str, folders_only: bool = False) -> str | None:
    """``value`` completed with the first matching name (hidden files only when asked for by
    a leading dot), or None."""
    if not value:
        return None
    head, slash, start = value.rpartition("/")
    prefix = head + slash  # what was typed up to the last "/", kept as typed ("~/", "/")
    folder = Path(os.path.expanduser(prefix)) if slash else Path(".")
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    for name in names:
        if not name.startswith(start) or (name.startswith(".") and not start.startswith(".")):
            continue
        is_dir = (folder / name).is_dir()
        if folders_only and not is_dir:
            continue
        completed = prefix + name + ("/" if is_dir else "")
        if completed != value:
            return completed
    return None
