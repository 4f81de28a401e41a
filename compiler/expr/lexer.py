"""Pebble lexer: template text -> tokens with offsets.

Pebble's delimiters are ``{{ }}`` (print), ``{% %}`` (tags) and ``{# #}`` (comments); a ``-``
next to a delimiter trims the whitespace on that side. ``{% raw %}`` switches off lexing until
``{% endraw %}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Token kinds
TEXT = "text"
PRINT_OPEN = "print_open"
PRINT_CLOSE = "print_close"
TAG_OPEN = "tag_open"
TAG_CLOSE = "tag_close"
NAME = "name"
NUMBER = "number"
STRING = "string"
OP = "op"
PUNCT = "punct"
RAW = "raw"
ISTRING = "istring"  # a double-quoted string with ``#{expr}`` parts; value: tuple of parts
EOF = "eof"


class TemplateSyntaxError(Exception):
    """A template that does not parse. ``offset`` points into the template source."""

    def __init__(self, message: str, offset: int, end: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.end = end if end is not None else offset + 1


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    value: object
    start: int
    end: int

    def __repr__(self) -> str:
        return f"{self.kind}({self.value!r})@{self.start}"


_OPEN = re.compile(r"\{\{|\{%|\{#")
_WS = re.compile(r"\s+")
# Pebble: ``[\p{IsLetter}_][\p{IsLetter}\p{IsDigit}_]*``; numbers have no exponent (``1e3`` is
# ``1`` followed by the name ``e3``, a syntax error).
_NAME = re.compile(r"[^\W\d]\w*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+(?![.0-9]))?")
# Longest first.
_OPERATORS = (
    "???",
    "??",
    "..",
    "==",
    "!=",
    "<=",
    ">=",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "~",
    "|",
    "?",
    ":",
    "=",
)
_PUNCT = "()[]{},."
_RAW_START = re.compile(r"\{%-?\s*raw\s*-?%\}")
_RAW_END = re.compile(r"\{%-?\s*endraw\s*-?%\}")
# Pebble's own ``verbatim`` tag, handled by its lexer: the dashes trim like any delimiter.
_VERBATIM_START = re.compile(r"\{%(-?)\s*verbatim\s*(-?)%\}")
_VERBATIM_END = re.compile(r"\{%(-?)\s*endverbatim\s*(-?)%\}")


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    n = len(source)
    trim_next_text = False
    while pos < n:
        match = _OPEN.search(source, pos)
        text_end = match.start() if match else n
        if text_end > pos:
            text = source[pos:text_end]
            if trim_next_text:
                text = text.lstrip()
            tokens.append(Token(TEXT, text, pos, text_end))
        trim_next_text = False
        if not match:
            break
        opener = match.group()
        start = match.start()
        pos = match.end()
        trim_left = pos < n and source[pos] == "-"
        if trim_left:
            pos += 1
            _trim_previous_text(tokens)
        if opener == "{#":
            close = source.find("#}", pos)
            if close < 0:
                raise TemplateSyntaxError(
                    "unclosed comment: '{#' has no matching '#}'", start, start + 2
                )
            trim_next_text = close > 0 and source[close - 1] == "-"
            pos = close + 2
            continue
        verbatim = _VERBATIM_START.match(source, start) if opener == "{%" else None
        if verbatim:
            end_match = _VERBATIM_END.search(source, verbatim.end())
            if not end_match:
                raise TemplateSyntaxError(
                    "unclosed '{% verbatim %}': add '{% endverbatim %}'", start, verbatim.end()
                )
            text = source[verbatim.end() : end_match.start()]
            if verbatim.group(2):
                text = text.lstrip()
            if end_match.group(1):
                text = text.rstrip()
            if text:
                tokens.append(Token(TEXT, text, start, end_match.end()))
            pos = end_match.end()
            trim_next_text = bool(end_match.group(2))
            continue
        raw = _RAW_START.match(source, start) if opener == "{%" else None
        if raw:
            end_match = _RAW_END.search(source, raw.end())
            if not end_match:
                raise TemplateSyntaxError(
                    "unclosed '{% raw %}': add '{% endraw %}'", start, raw.end()
                )
            tokens.append(Token(RAW, source[raw.end() : end_match.start()], start, end_match.end()))
            pos = end_match.end()
            trim_next_text = end_match.group().endswith("-%}")
            continue
        closer = "}}" if opener == "{{" else "%}"
        tokens.append(Token(PRINT_OPEN if opener == "{{" else TAG_OPEN, opener, start, pos))
        pos, trim_next_text = _lex_code(source, pos, closer, tokens, start)
    tokens.append(Token(EOF, None, n, n))
    return tokens


def _trim_previous_text(tokens: list[Token]) -> None:
    if tokens and tokens[-1].kind == TEXT:
        last = tokens[-1]
        tokens[-1] = Token(TEXT, str(last.value).rstrip(), last.start, last.end)


def _lex_code(
    source: str, pos: int, closer: str, tokens: list[Token], open_at: int
) -> tuple[int, bool]:
    """Lex an expression up to ``closer`` (``}}``, ``%}``, or ``}`` closing a ``#{``)."""
    n = len(source)
    close_kind = PRINT_CLOSE if closer == "}}" else TAG_CLOSE
    depth = 0  # braces opened inside the expression (map literals)
    while True:
        ws = _WS.match(source, pos)
        if ws:
            pos = ws.end()
        if pos >= n:
            if closer == "}":
                raise TemplateSyntaxError(
                    "unclosed string interpolation: '#{' has no matching '}'", open_at, open_at + 2
                )
            what = "'{{' has no matching '}}'" if closer == "}}" else "'{%' has no matching '%}'"
            raise TemplateSyntaxError(f"unclosed expression: {what}", open_at, open_at + 2)
        if depth == 0 and closer == "}":
            if source[pos] == "}":
                return pos + 1, False
        elif depth == 0:
            if source.startswith("-" + closer, pos):
                tokens.append(Token(close_kind, closer, pos, pos + 3))
                return pos + 3, True
            if source.startswith(closer, pos):
                tokens.append(Token(close_kind, closer, pos, pos + 2))
                return pos + 2, False
        ch = source[pos]
        if ch in "'\"":
            pos = _lex_string(source, pos, tokens)
            continue
        m = _NUMBER.match(source, pos)
        if m:
            text = m.group()
            value: object = (
                float(text) if ("." in text or "e" in text or "E" in text) else int(text)
            )
            tokens.append(Token(NUMBER, value, pos, m.end()))
            pos = m.end()
            continue
        m = _NAME.match(source, pos)
        if m:
            tokens.append(Token(NAME, m.group(), pos, m.end()))
            pos = m.end()
            continue
        for op in _OPERATORS:
            if source.startswith(op, pos):
                tokens.append(Token(OP, op, pos, pos + len(op)))
                pos += len(op)
                break
        else:
            if ch in _PUNCT:
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth = max(0, depth - 1)
                tokens.append(Token(PUNCT, ch, pos, pos + 1))
                pos += 1
            else:
                raise TemplateSyntaxError(f"unexpected character {ch!r} in expression", pos)


def _lex_string(source: str, pos: int, tokens: list[Token]) -> int:
    """A string literal, the way Pebble's lexer reads it.

    A backslash only escapes the string's own quote (``'it\\'s'``); every other backslash is
    kept as it is (``'\\n'`` is two characters, ``split('\\|')`` passes a regex). A
    double-quoted string may interpolate ``#{expr}``; its literal parts are kept raw, as in Pebble.
    """
    quote = source[pos]
    start = pos
    pos += 1
    n = len(source)
    parts: list[object] = []  # str, or a token list ending with EOF for an interpolation
    out: list[str] = []
    while pos < n:
        ch = source[pos]
        if ch == "\\" and pos + 1 < n:
            nxt = source[pos + 1]
            out.append(nxt if nxt == quote else "\\" + nxt)
            pos += 2
            continue
        if ch == quote:
            if not parts:
                tokens.append(Token(STRING, "".join(out), start, pos + 1))
            else:
                if out:
                    parts.append("".join(out))
                tokens.append(Token(ISTRING, tuple(parts), start, pos + 1))
            return pos + 1
        if quote == '"' and ch == "#" and source.startswith("#{", pos):
            if out:
                parts.append("".join(out))
                out = []
            inner: list[Token] = []
            end, _ = _lex_code(source, pos + 2, "}", inner, pos)
            inner.append(Token(EOF, None, end - 1, end - 1))
            parts.append(tuple(inner))
            pos = end
            continue
        out.append(ch)
        pos += 1
    raise TemplateSyntaxError("unclosed string literal", start, start + 1)
