"""The one way a file is refused: :class:`FileRejected`, with the reason in a biller's words."""

from __future__ import annotations


class FileRejected(Exception):
    """A file that cannot be imported at all. ``reason`` says why in plain words; ``kind`` is
    "835" or "837" when the file's ST01 said so before the problem, else ""."""

    def __init__(
        self, reason: str, *, segment: int | None = None, line: int | None = None, kind: str = ""
    ):
        super().__init__(reason)
        self.reason = reason
        self.segment = segment
        self.line = line
        self.kind = kind
