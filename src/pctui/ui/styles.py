"""Where the TCSS files are: inside the installed package (``pctui/styles``, put there by the
wheel build) or, in a source checkout, the top-level ``styles/`` folder."""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent.parent / "styles"
_SOURCE = Path(__file__).resolve().parents[3] / "styles"


def styles_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE


def stylesheet(name: str) -> str:
    return str(styles_dir() / name)
