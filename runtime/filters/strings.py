"""String filters: Pebble's core ones and Kestra's additions."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from runtime.errors import ExpressionError
from runtime.filters._base import fail, input_str, need, want_bool, want_int, want_str
from runtime.values import is_number, java_hashmap, java_str, type_name

K = "filter"

# Java's Character.isWhitespace: separators except no-break spaces, plus \t-\r and \x1c-\x1f.
_JAVA_WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008"
    "\u2009\u200a\u2028\u2029\u205f\u3000"
)


def _title_char(ch: str) -> str:
    titled = ch.title()
    return titled if len(titled) == 1 else ch.upper() if len(ch.upper()) == 1 else ch


def do_abbreviate(value: Any, /, length: Any = None) -> Any:
    """``abbreviate(length)``: at most ``length`` characters, ``...`` included."""
    if value is None:
        return None
    text = input_str(value, K, "abbreviate")
    width = want_int(need(length, K, "abbreviate", "length"), K, "abbreviate", "length")
    if width < 0:
        raise fail(K, "abbreviate", "needs a 'length' of zero or more")
    if len(text) < width or len(text) <= 3:
        return text
    if width <= 3:
        return text[:width]
    return text[: width - 3] + "..."


def do_capitalize(value: Any, /) -> Any:
    """Upper-cases the first non-whitespace character; the rest is left alone."""
    if value is None:
        return None
    text = input_str(value, K, "capitalize")
    for i, ch in enumerate(text):
        if ch not in _JAVA_WHITESPACE:
            return text[:i] + _title_char(ch) + text[i + 1 :]
    return text


def do_title(value: Any, /) -> Any:
    """Upper-cases the first character after whitespace; does not lower-case the rest."""
    if value is None:
        return None
    text = input_str(value, K, "title")
    out = []
    start = True
    for ch in text:
        if ch in _JAVA_WHITESPACE:
            start = True
        elif start:
            ch = _title_char(ch)
            start = False
        out.append(ch)
    return "".join(out)


def do_lower(value: Any, /) -> Any:
    return None if value is None else java_str(value).lower()


def do_upper(value: Any, /) -> Any:
    return None if value is None else java_str(value).upper()


def do_trim(value: Any, /) -> Any:
    """Java ``String.trim``: strips characters up to U+0020 only."""
    if value is None:
        return None
    text = input_str(value, K, "trim")
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


# --- regular expressions (Java syntax -> Python re) ---------------------------------------------

_NAMED_GROUP = re.compile(r"(?<!\\)\(\?<([A-Za-z][A-Za-z0-9]*)>")
_BACKREF = re.compile(r"\\k<([A-Za-z][A-Za-z0-9]*)>")


def java_regex(pattern: str, kind: str, name: str) -> re.Pattern[str]:
    """Compile a ``java.util.regex`` pattern with Python's ``re`` (named groups converted)."""
    converted = _NAMED_GROUP.sub(r"(?P<\1>", pattern)
    converted = _BACKREF.sub(r"(?P=\1)", converted).replace(r"\z", r"\Z")
    try:
        return re.compile(converted)
    except re.error as exc:
        raise fail(kind, name, f"has an invalid regular expression '{pattern}': {exc}") from None


def _java_replacement(replacement: str) -> str:
    """A ``Matcher.replaceAll`` replacement (``$1``, ``${name}``, ``\\$``) for ``re.sub``."""
    out = []
    i = 0
    while i < len(replacement):
        ch = replacement[i]
        if ch == "\\":
            i += 1
            if i >= len(replacement):
                raise ExpressionError("character to be escaped is missing in the replacement")
            nxt = replacement[i]
            out.append("\\\\" if nxt == "\\" else nxt)
        elif ch == "$":
            i += 1
            if i < len(replacement) and replacement[i] == "{":
                end = replacement.find("}", i)
                if end < 0:
                    raise ExpressionError("named capturing group is missing trailing '}'")
                out.append(f"\\g<{replacement[i + 1 : end]}>")
                i = end
            else:
                j = i
                while j < len(replacement) and replacement[j].isdigit():
                    j += 1
                if j == i:
                    raise ExpressionError("illegal group reference in the replacement")
                out.append(f"\\g<{replacement[i:j]}>")
                i = j - 1
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _replace_in(text: str, pairs: Mapping, regexp: bool) -> str:
    for key, repl in pairs.items():
        if regexp:
            pattern = java_regex(java_str(key), K, "replace")
            try:
                text = pattern.sub(_java_replacement(java_str(repl)), text)
            except (re.error, IndexError) as exc:
                raise fail(K, "replace", f"has an invalid replacement '{repl}': {exc}") from None
        else:
            text = text.replace(java_str(key), java_str(repl))
    return text


def _deep(value: Any, apply) -> Any:
    """Kestra's map/list walk (replace, escapeChar): strings changed, scalars stringified."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return java_hashmap((k, _deep(v, apply)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return [_deep(v, apply) for v in value]
    return apply(value if isinstance(value, str) else java_str(value))


def do_replace(value: Any, /, replace_pairs: Any = None, regexp: Any = None) -> Any:
    """Kestra's ``replace({'old': 'new'}, regexp=false)``; walks maps and lists."""
    if value is None:
        return None
    if replace_pairs is None:
        raise fail(K, "replace", "needs the argument 'replace_pairs', a map like {'old': 'new'}")
    if not isinstance(replace_pairs, Mapping):
        raise fail(
            K,
            "replace",
            f"expects a map like {{'old': 'new'}} for 'replace_pairs', got {type_name(replace_pairs)}",
        )
    use_regexp = False if regexp is None else want_bool(regexp, K, "replace", "regexp")
    if isinstance(value, Mapping | list | tuple):
        return _deep(value, lambda s: _replace_in(s, replace_pairs, use_regexp))
    return _replace_in(java_str(value), replace_pairs, use_regexp)


def java_split(text: str, pattern: re.Pattern[str], limit: int) -> list[str]:
    """Java ``String.split(regex, limit)``: trailing empty strings dropped when limit is 0."""
    parts: list[str] = []
    index = 0
    limited = limit > 0
    for m in pattern.finditer(text):
        if limited and len(parts) >= limit - 1:
            break
        if index == 0 and m.start() == 0 and m.end() == 0:
            continue  # no leading empty string for a zero-width match at the start
        parts.append(text[index : m.start()])
        index = m.end()
    if index == 0 and not parts:
        return [text]
    parts.append(text[index:])
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


def do_split(value: Any, /, delimiter: Any = None, limit: Any = None) -> Any:
    """``split(delimiter, limit)``: the delimiter is a Java regex; ``limit`` caps the parts."""
    if value is None:
        return None
    if delimiter is None:
        raise fail(K, "split", "needs the argument 'delimiter' (a regular expression)")
    text = input_str(value, K, "split")
    regex = java_regex(want_str(delimiter, K, "split", "delimiter"), K, "split")
    count = 0 if limit is None else want_int(limit, K, "split", "limit", truncate=True)
    return java_split(text, regex, count)


_NONLATIN = re.compile(r"[^A-Za-z0-9_-]")
_WHITESPACE = re.compile(r"[ \t\n\x0b\f\r]")


def do_slugify(value: Any, /) -> Any:
    """Kestra's ``Slugify.of``: ASCII letters, digits and single dashes, lower case."""
    if value is None:
        return None
    slug = _WHITESPACE.sub("-", java_str(value))
    slug = _NONLATIN.sub("", unicodedata.normalize("NFD", slug)).replace("_", "-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return slug.strip("-").lower()


def _separator(separator: Any, name: str) -> str:
    if separator is None:
        raise fail(K, name, "needs the argument 'separator'")
    return java_str(separator)


def do_substringBefore(value: Any, /, separator: Any = None) -> Any:
    if value is None:
        return None
    text, sep = java_str(value), _separator(separator, "substringBefore")
    if not text:
        return text
    if sep == "":
        return ""
    pos = text.find(sep)
    return text if pos < 0 else text[:pos]


def do_substringAfter(value: Any, /, separator: Any = None) -> Any:
    if value is None:
        return None
    text, sep = java_str(value), _separator(separator, "substringAfter")
    if not text:
        return text
    pos = text.find(sep)
    return "" if pos < 0 else text[pos + len(sep) :]


def do_substringBeforeLast(value: Any, /, separator: Any = None) -> Any:
    if value is None:
        return None
    text, sep = java_str(value), _separator(separator, "substringBeforeLast")
    if not text or not sep:
        return text
    pos = text.rfind(sep)
    return text if pos < 0 else text[:pos]


def do_substringAfterLast(value: Any, /, separator: Any = None) -> Any:
    if value is None:
        return None
    text, sep = java_str(value), _separator(separator, "substringAfterLast")
    if not text:
        return text
    if not sep:
        return ""
    pos = text.rfind(sep)
    return "" if pos < 0 or pos == len(text) - len(sep) else text[pos + len(sep) :]


def do_startsWith(subject: Any, /, value: Any = None) -> bool:
    if subject is None:
        raise fail(K, "startsWith", "cannot be applied to null")
    return java_str(subject).startswith(java_str(need(value, K, "startsWith", "value")))


def do_endsWith(subject: Any, /, value: Any = None) -> bool:
    if subject is None:
        raise fail(K, "endsWith", "cannot be applied to null")
    return java_str(subject).endswith(java_str(need(value, K, "endsWith", "value")))


_ESCAPES = {"single": ("'", "\\'"), "double": ('"', '\\"'), "shell": ("'", "'\\''")}


def do_escapeChar(value: Any, /, type: Any = None) -> Any:
    """``escapeChar('single'|'double'|'shell')``: escapes quotes, through maps and lists."""
    if value is None:
        return None
    if type is None:
        raise fail(K, "escapeChar", "needs the argument 'type': 'single', 'double' or 'shell'")
    kind = _ESCAPES.get(java_str(type).lower())
    if kind is None:
        raise fail(
            K, "escapeChar", f"expects 'single', 'double' or 'shell' for 'type', got '{type}'"
        )
    old, new = kind
    return _deep(value, lambda s: s.replace(old, new))


def _line_separator(text: str) -> str:
    for sep in ("\r\n", "\n\r", "\n", "\r"):
        if sep in text:
            return sep
    return "\n"


def _indent(value: Any, amount: Any, prefix: Any, name: str, leading: bool) -> Any:
    if value is None:
        return None
    text = java_str(value)
    if not text:
        return text
    if amount is None:
        raise fail(K, name, "needs the argument 'amount', an integer")
    count = want_int(amount, K, name, "amount")
    if count < 0:
        raise fail(K, name, "needs an 'amount' of zero or more")
    pad = (" " if prefix is None else want_str(prefix, K, name, "prefix")) * count
    sep = _line_separator(text)
    if leading:
        text = sep + text
    return text.replace(sep, sep + pad)


def do_indent(value: Any, /, amount: Any = None, prefix: Any = None) -> Any:
    """Indents every line but the first by ``amount`` times ``prefix`` (a space)."""
    return _indent(value, amount, prefix, "indent", leading=False)


def do_nindent(value: Any, /, amount: Any = None, prefix: Any = None) -> Any:
    """Like ``indent``, after starting a new line."""
    return _indent(value, amount, prefix, "nindent", leading=True)


_URL_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")


def do_urlencode(value: Any, /) -> Any:
    """``java.net.URLEncoder`` (form encoding: a space becomes ``+``)."""
    if value is None:
        return None
    out = []
    for ch in input_str(value, K, "urlencode"):
        if ch in _URL_SAFE:
            out.append(ch)
        elif ch == " ":
            out.append("+")
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", errors="surrogatepass"))
    return "".join(out)


def do_urldecode(value: Any, /) -> Any:
    """``java.net.URLDecoder``: ``+`` is a space, ``%XX`` bytes are UTF-8."""
    if value is None:
        return None
    text = input_str(value, K, "urldecode")
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "+":
            out += b" "
        elif ch == "%":
            digits = text[i + 1 : i + 3]
            if len(digits) < 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise fail(K, "urldecode", f"found an invalid escape '%{digits}' in '{text}'")
            out.append(int(digits, 16))
            i += 2
        else:
            out += ch.encode("utf-8")
        i += 1
    return out.decode("utf-8", errors="replace")


def do_base64encode(value: Any, /) -> Any:
    if value is None:
        return None
    return base64.b64encode(java_str(value).encode("utf-8")).decode("ascii")


_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def do_base64decode(value: Any, /) -> Any:
    """Strict base64 (``java.util.Base64`` decoder): padding optional, no whitespace."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail(K, "base64decode", f"can only be applied to a string, got {type_name(value)}")
    text = value
    body = text.rstrip("=")
    if not _B64.fullmatch(text) or len(body) % 4 == 1:
        raise fail(K, "base64decode", "needs a correctly base64-encoded string")
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise fail(K, "base64decode", "needs a correctly base64-encoded string") from None
    return raw.decode("utf-8", errors="replace")


def _digest(algorithm: str, name: str):
    def do_hash(value: Any, /) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise fail(K, name, f"needs a string to hash, got {type_name(value)}")
        return hashlib.new(algorithm, value.encode("utf-8")).hexdigest()

    do_hash.__name__ = f"do_{name}"
    do_hash.__qualname__ = do_hash.__name__
    do_hash.__doc__ = f"Hex {algorithm.upper()} digest of the UTF-8 bytes."
    return do_hash


do_md5 = _digest("md5", "md5")
do_sha1 = _digest("sha1", "sha1")
do_sha256 = _digest("sha256", "sha256")
do_sha512 = _digest("sha512", "sha512")

_BIG_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def do_string(value: Any, /) -> Any:
    """Kestra's ``string``: a number, or a numeric string normalised by ``BigDecimal``."""
    if value is None:
        return None
    if is_number(value):
        return java_str(value)
    if isinstance(value, str):
        if not _BIG_DECIMAL.fullmatch(value):
            raise fail(K, "string", f"expects a valid number, got the string '{value}'")
        return str(Decimal(value))
    raise fail(K, "string", f"expects a number or a numeric string, got {type_name(value)}")


def do_className(value: Any, /) -> Any:
    """The Java class name of the value (see ``runtime.values.type_name``)."""
    return None if value is None else type_name(value)
