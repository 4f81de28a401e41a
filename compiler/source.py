"""Source files and spans: every value flowc reports on knows where it came from."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cached_property

_NEWLINE = re.compile("\n")


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file. Lines and columns are 1-based, offsets 0-based."""

    line: int
    column: int
    end_line: int
    end_column: int
    offset: int = 0
    end_offset: int = 0

    def __repr__(self) -> str:
        return f"{self.line}:{self.column}-{self.end_line}:{self.end_column}"


UNKNOWN_SPAN = Span(1, 1, 1, 1)


@dataclass(frozen=True)
class SourceFile:
    """The text of one flow file, with a line index to turn offsets into positions."""

    path: str
    text: str

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0, *(m.end() for m in _NEWLINE.finditer(self.text))]

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def span(self, start: int, end: int) -> Span:
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Span(line, column, end_line, end_column, start, end)

    def line_text(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""
