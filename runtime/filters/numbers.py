"""Number filters: ``abs``, ``number`` (Kestra's string parser), ``numberFormat`` (DecimalFormat)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from functools import lru_cache
from typing import Any

from runtime.errors import ExpressionError
from runtime.filters._base import fail, want_str
from runtime.values import is_number, type_name

K = "filter"


def do_abs(value: Any, /) -> Any:
    """Absolute value of a number; null is an error."""
    if value is None:
        raise fail(K, "abs", "cannot be applied to null")
    if not is_number(value):
        raise fail(K, "abs", f"needs a number as input, got {type_name(value)}")
    return abs(value)


# --- number(type): commons-lang NumberUtils ----------------------------------------------------

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_FLOAT_TEXT = re.compile(
    r"[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)|"
    r"(0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+))[fFdD]?"
)
_BIG_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _not_a_number(text: str, kind: str) -> ExpressionError:
    return fail(K, "number", f"cannot read '{text}' as {kind}")


def _decode(text: str, bounds: tuple[int, int], kind: str) -> int:
    """``Integer.decode``/``Long.decode``: sign, then ``0x``/``#`` hex, ``0`` octal, decimal."""
    body = text
    sign = 1
    if body[:1] in "+-" and body:
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    base = 10
    if body[:2] in ("0x", "0X"):
        base, body = 16, body[2:]
    elif body[:1] == "#":
        base, body = 16, body[1:]
    elif body[:1] == "0" and len(body) > 1:
        base, body = 8, body[1:]
    if not body or body[:1] in "+-":
        raise _not_a_number(text, kind)
    try:
        value = sign * int(body, base)
    except ValueError:
        raise _not_a_number(text, kind) from None
    if not bounds[0] <= value <= bounds[1]:
        raise _not_a_number(text, kind)
    return value


def _java_float(text: str, kind: str) -> float:
    """``Double.valueOf``: trims whitespace, accepts NaN, Infinity, hex and f/d suffixes."""
    stripped = text.strip(" \t\n\x0b\x0c\r\x00")
    if not _FLOAT_TEXT.fullmatch(stripped):
        raise _not_a_number(text, kind)
    body = stripped[:-1] if stripped[-1:] in "fFdD" and "Infinity" not in stripped else stripped
    if "x" in body.lower() and "p" in body.lower():
        sign = -1.0 if body.startswith("-") else 1.0
        return sign * float.fromhex(body.lstrip("+-"))
    return float(body.replace("Infinity", "inf"))


def _create_number(text: str) -> Any:
    """``NumberUtils.createNumber``: Integer, Long, BigInteger, Float, Double or BigDecimal."""
    if not text.strip():
        raise fail(K, "number", "cannot read a blank string as a number")
    last = text[-1]
    body = (
        text[:-1] if last in "lLfFdD" and not text.lower().startswith(("0x", "-0x", "#")) else text
    )
    if "." in body or "e" in body.lower() and not body.lower().startswith(("0x", "-0x")):
        if last in "fFdD":
            return _java_float(text, "a decimal number")
        mantissa = re.split(r"[eE]", body)[0]
        decimals = len(mantissa.split(".", 1)[1]) if "." in mantissa else 0
        if decimals <= 16:
            value = _java_float(body, "a number")
            if math.isfinite(value) and not (value == 0.0 and re.search(r"[1-9]", mantissa)):
                return value
        if not _BIG_DECIMAL.fullmatch(body):
            raise _not_a_number(text, "a number")
        return Decimal(body)
    if last in "lL":
        try:
            return _decode(body, _INT64, "a long")
        except ExpressionError:
            return _decode(body, (-(2**4096), 2**4096), "a number")
    for bounds in (_INT32, _INT64, (-(2**4096), 2**4096)):
        try:
            return _decode(text, bounds, "a number")
        except ExpressionError:
            continue
    raise _not_a_number(text, "a number")


def do_number(value: Any, /, type: Any = None) -> Any:
    """``number(type)``: parses a string; type ``INT``, ``LONG``, ``FLOAT``, ``DOUBLE``,
    ``BIGDECIMAL`` or ``BIGINTEGER``, else inferred (``"12.3"`` is a Float, ``"012"`` is octal).
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail(K, "number", f"can only be applied to a string, got {type_name(value)}")
    kind = "" if type is None else want_str(type, K, "number", "type")
    if kind == "INT":
        return _decode(value, _INT32, "an INT")
    if kind == "LONG":
        return _decode(value, _INT64, "a LONG")
    if kind in ("FLOAT", "DOUBLE"):
        return _java_float(value, f"a {kind}")
    if kind == "BIGDECIMAL":
        if not _BIG_DECIMAL.fullmatch(value):
            raise _not_a_number(value, "a BIGDECIMAL")
        return Decimal(value)
    if kind == "BIGINTEGER":
        if not re.fullmatch(r"[+-]?\d+", value):
            raise _not_a_number(value, "a BIGINTEGER")
        return int(value)
    return _create_number(value)


# --- numberFormat: java.text.DecimalFormat ---------------------------------------------------


@dataclass(frozen=True)
class _DecimalPattern:
    pos_prefix: str
    pos_suffix: str
    neg_prefix: str
    neg_suffix: str
    min_int: int
    max_int: int
    min_frac: int
    max_frac: int
    grouping: int  # 0: no grouping
    always_point: bool
    exp_digits: int  # 0: no exponent
    multiplier: int


def _affix(text: str, pattern: str) -> tuple[str, int]:
    out = []
    multiplier = 1
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise fail(K, "numberFormat", f"has an unclosed quote in '{pattern}'")
            out.append("'" if end == i + 1 else text[i + 1 : end])
            i = end + 1
            continue
        if ch == "%":
            multiplier = 100
        elif ch == "\u2030":
            multiplier = 1000
        elif ch == "\u00a4":
            ch = "$"
        out.append(ch)
        i += 1
    return "".join(out), multiplier


def _split_affixes(sub: str, pattern: str) -> tuple[str, str, str]:
    """(prefix, number part, suffix) of a subpattern, quotes respected."""
    i, n = 0, len(sub)
    in_quote = False
    start = end = None
    for i in range(n):
        ch = sub[i]
        if ch == "'":
            in_quote = not in_quote
        elif not in_quote and ch in "#0,.E123456789" and (ch != "E" or start is not None):
            if start is None:
                start = i
            end = i + 1
        elif start is not None and not in_quote:
            break
    if start is None:
        raise fail(K, "numberFormat", f"has no digits in the pattern '{pattern}'")
    return sub[:start], sub[start:end], sub[end:]


@lru_cache(maxsize=128)
def _decimal_pattern(pattern: str) -> _DecimalPattern:
    parts, in_quote, cut = [], False, 0
    for i, ch in enumerate(pattern):
        if ch == "'":
            in_quote = not in_quote
        elif ch == ";" and not in_quote:
            parts.append(pattern[cut:i])
            cut = i + 1
    parts.append(pattern[cut:])
    prefix, number, suffix = _split_affixes(parts[0], pattern)
    pos_prefix, m1 = _affix(prefix, pattern)
    pos_suffix, m2 = _affix(suffix, pattern)
    if len(parts) > 1 and parts[1]:
        nprefix, _, nsuffix = _split_affixes(parts[1], pattern)
        neg_prefix, _ = _affix(nprefix, pattern)
        neg_suffix, _ = _affix(nsuffix, pattern)
    else:
        neg_prefix, neg_suffix = "-" + pos_prefix, pos_suffix
    mantissa, _, exponent = number.partition("E")
    integer, point, fraction = mantissa.partition(".")
    digits = integer.replace(",", "")
    if any(c not in "#0" for c in digits + fraction) or any(c != "0" for c in exponent):
        raise fail(K, "numberFormat", f"has a malformed pattern '{pattern}'")
    grouping = len(integer) - integer.rfind(",") - 1 if "," in integer else 0
    return _DecimalPattern(
        pos_prefix=pos_prefix,
        pos_suffix=pos_suffix,
        neg_prefix=neg_prefix,
        neg_suffix=neg_suffix,
        min_int=digits.count("0"),
        max_int=len(digits) if exponent else 2**31 - 1,
        min_frac=fraction.count("0"),
        max_frac=len(fraction),
        grouping=grouping,
        always_point=bool(point) and not fraction,
        exp_digits=len(exponent) if "E" in number else 0,
        multiplier=max(m1, m2),
    )


def _group(digits: str, size: int) -> str:
    if size <= 0 or len(digits) <= size:
        return digits
    head = len(digits) % size or size
    chunks = [digits[:head]] + [digits[i : i + size] for i in range(head, len(digits), size)]
    return ",".join(chunks)


def _fixed(x: Decimal, p: _DecimalPattern) -> str:
    with localcontext() as ctx:
        ctx.prec = max(50, len(str(x)) + p.max_frac + 5)
        rounded = x.quantize(Decimal(1).scaleb(-p.max_frac), rounding=ROUND_HALF_EVEN)
    sign, digits_t, exp = rounded.as_tuple()
    digits = "".join(map(str, digits_t))
    frac_len = -int(exp) if int(exp) < 0 else 0
    if frac_len:
        digits = digits.rjust(frac_len + 1, "0")
        int_part, frac_part = digits[:-frac_len], digits[-frac_len:]
    else:
        int_part, frac_part = digits + "0" * int(exp), ""
    int_part = int_part.lstrip("0")
    frac_part = frac_part.rstrip("0").ljust(p.min_frac, "0")
    int_part = int_part.rjust(p.min_int, "0")
    if not int_part and not frac_part:
        int_part = "0"
    text = _group(int_part, p.grouping)
    if frac_part or p.always_point:
        text += "." + frac_part
    return text


def _scientific(x: Decimal, p: _DecimalPattern) -> str:
    engineering = p.max_int > p.min_int and p.max_int > 1
    mantissa_pattern = replace(p, grouping=0, min_int=1 if engineering else max(p.min_int, 1))

    def exponent_for(v: Decimal) -> int:
        if v == 0:
            return 0
        if engineering:
            return math.floor(v.adjusted() / p.max_int) * p.max_int
        return v.adjusted() - (mantissa_pattern.min_int - 1)

    exponent = exponent_for(x)
    body = _fixed(x.scaleb(-exponent), mantissa_pattern)
    rounded = Decimal(body.rstrip(".")).scaleb(exponent)
    if rounded != 0 and exponent_for(rounded) != exponent:  # 9.99 rounded up to 10.0
        exponent = exponent_for(rounded)
        body = _fixed(rounded.scaleb(-exponent), mantissa_pattern)
    sign = "-" if exponent < 0 else ""
    return f"{body}E{sign}{str(abs(exponent)).rjust(p.exp_digits, '0')}"


def do_numberFormat(value: Any, /, format: Any = None) -> Any:
    """``numberFormat(format)``: Java ``DecimalFormat`` (English symbols, HALF_EVEN rounding).

    Without a format: ``#,##0.###`` (``NumberFormat.getInstance``).
    """
    if value is None:
        return None
    if not is_number(value):
        raise fail(K, "numberFormat", f"needs a number as input, got {type_name(value)}")
    pattern = "#,##0.###" if format is None else want_str(format, K, "numberFormat", "format")
    p = _decimal_pattern(pattern)
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    negative = value < 0 or (isinstance(value, float) and math.copysign(1.0, value) < 0)
    if isinstance(value, float) and math.isinf(value):
        body = "\u221e"
    else:
        try:
            x = abs(Decimal(value)) * p.multiplier
        except InvalidOperation:  # pragma: no cover - Decimal NaN
            return "NaN"
        body = _scientific(x, p) if p.exp_digits else _fixed(x, p)
    if negative:
        return f"{p.neg_prefix}{body}{p.neg_suffix}"
    return f"{p.pos_prefix}{body}{p.pos_suffix}"
