"""The filter, function and test library of flowc's Pebble evaluator.

``FILTERS``, ``FUNCTIONS`` and ``TESTS`` map Kestra 1.0.3's names to implementations, called

- filters: ``FILTERS[name](value, *args, **kwargs)``;
- functions: ``FUNCTIONS[name](*args, **kwargs)``;
- tests: ``TESTS[name](value, *args)``;

with Pebble's argument names as keywords (``date(format=..., timeZone=...)``). A function
marked :func:`pass_context` (``getattr(f, "pass_context", False)``) takes the evaluator's
:class:`EvalContext` first. A wrong call raises ExpressionError naming the valid arguments.

The evaluator itself handles what needs the AST: ``default`` and ``defined`` on undefined
names (it passes None), and the operators (``runtime.values``).

Modules: ``strings``, ``containers``, ``numbers``, ``dates``, ``codecs``, ``functions``,
``tests``; ``services`` holds the protocols the runtime implements.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.filters import codecs, containers, dates, functions, numbers, strings, tests
from runtime.filters._base import bound, pass_context
from runtime.filters.services import DefaultServices, EvalContext, RuntimeServices

__all__ = [
    "FILTERS",
    "FUNCTIONS",
    "KESTRA_ABSENT",
    "TESTS",
    "DefaultServices",
    "EvalContext",
    "RuntimeServices",
    "pass_context",
]

_FILTERS: dict[str, Callable[..., Any]] = {
    # Pebble core filters kept by Kestra
    "abbreviate": strings.do_abbreviate,
    "abs": numbers.do_abs,
    "base64decode": strings.do_base64decode,
    "base64encode": strings.do_base64encode,
    "capitalize": strings.do_capitalize,
    "default": containers.do_default,
    "first": containers.do_first,
    "join": containers.do_join,
    "last": containers.do_last,
    "length": containers.do_length,
    "lower": strings.do_lower,
    "merge": containers.do_merge,
    "numberFormat": numbers.do_numberFormat,
    "reverse": containers.do_reverse,
    "rsort": containers.do_rsort,
    "sha256": strings.do_sha256,
    "slice": containers.do_slice,
    "sort": containers.do_sort,
    "split": strings.do_split,
    "title": strings.do_title,
    "trim": strings.do_trim,
    "upper": strings.do_upper,
    "urlencode": strings.do_urlencode,
    # Kestra's filters (core/runners/pebble/filters)
    "chunk": containers.do_chunk,
    "className": strings.do_className,
    "date": dates.do_date,
    "dateAdd": dates.do_dateAdd,
    "distinct": containers.do_distinct,
    "endsWith": strings.do_endsWith,
    "escapeChar": strings.do_escapeChar,
    "flatten": containers.do_flatten,
    "indent": strings.do_indent,
    "jq": codecs.do_jq,
    "json": codecs.do_toJson,  # deprecated alias of toJson
    "keys": containers.do_keys,
    "md5": strings.do_md5,
    "nindent": strings.do_nindent,
    "number": numbers.do_number,
    "replace": strings.do_replace,
    "sha1": strings.do_sha1,
    "sha512": strings.do_sha512,
    "slugify": strings.do_slugify,
    "startsWith": strings.do_startsWith,
    "string": strings.do_string,
    "substringAfter": strings.do_substringAfter,
    "substringAfterLast": strings.do_substringAfterLast,
    "substringBefore": strings.do_substringBefore,
    "substringBeforeLast": strings.do_substringBeforeLast,
    "timestamp": dates.do_timestamp,
    "timestampMicro": dates.do_timestampMicro,
    "timestampMilli": dates.do_timestampMilli,
    "timestampNano": dates.do_timestampNano,
    "toIon": codecs.do_toIon,
    "toJson": codecs.do_toJson,
    "urldecode": strings.do_urldecode,
    "values": containers.do_values,
    "yaml": codecs.do_yaml,
}

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    # Pebble core
    "max": functions.fn_max,
    "min": functions.fn_min,
    "range": functions.fn_range,
    # Kestra
    "currentEachOutput": functions.fn_currentEachOutput,
    "decrypt": functions.fn_decrypt,
    "encrypt": functions.fn_encrypt,
    "errorLogs": functions.fn_errorLogs,
    "fetchContext": functions.fn_printContext,
    "fileExists": functions.fn_fileExists,
    "fileSize": functions.fn_fileSize,
    "fileURI": functions.fn_fileURI,
    "fromIon": codecs.fn_fromIon,
    "fromJson": codecs.fn_fromJson,
    "http": functions.fn_http,
    "id": functions.fn_id,
    "isFileEmpty": functions.fn_isFileEmpty,
    "json": codecs.fn_fromJson,  # deprecated alias of fromJson
    "ksuid": functions.fn_ksuid,
    "kv": functions.fn_kv,
    "now": dates.fn_now,
    "printContext": functions.fn_printContext,
    "randomInt": functions.fn_randomInt,
    "randomPort": functions.fn_randomPort,
    "read": functions.fn_read,
    "render": functions.fn_render,
    "renderOnce": functions.fn_renderOnce,
    "secret": functions.fn_secret,
    "tasksWithState": functions.fn_tasksWithState,
    "uuid": functions.fn_uuid,
    "yaml": codecs.fn_yaml,
}

_TESTS: dict[str, Callable[..., Any]] = {
    "defined": tests.test_defined,
    "empty": tests.test_empty,
    "even": tests.test_even,
    "iterable": tests.test_iterable,
    "json": tests.test_json,
    "map": tests.test_map,
    "null": tests.test_null,
    "odd": tests.test_odd,
}

FILTERS: dict[str, Callable[..., Any]] = {n: bound("filter", n, f) for n, f in _FILTERS.items()}
FUNCTIONS: dict[str, Callable[..., Any]] = {
    n: bound("function", n, f) for n, f in _FUNCTIONS.items()
}
TESTS: dict[str, Callable[..., Any]] = {n: bound("test", n, f) for n, f in _TESTS.items()}

# Names real flows use that Kestra 1.0.3 does not define (kind, name) -> what to use instead.
# The compiler can turn these into hints; calling them fails like any unknown name.
KESTRA_ABSENT: dict[tuple[str, str], str] = {
    ("filter", "round"): "numberFormat('0.##')",
    ("filter", "dateFormat"): "date('yyyy-MM-dd')",
    ("filter", "truncate"): "abbreviate(n)",
    ("filter", "base64"): "base64encode",
    ("filter", "fromJson"): "the function fromJson(x)",
    ("filter", "jqFirst"): "jq('...') | first",
    ("filter", "int"): "number('INT')",
    ("filter", "tojson"): "toJson",
    ("function", "random"): "randomInt(lower, upper)",
    ("function", "date"): "now() | date('...')",
    ("function", "file"): "read(path)",
    ("function", "secrets"): "secret(key)",
    ("function", "subflow"): "a Subflow task (subflow() arrives after Kestra 1.0)",
    ("function", "isLastWorkingDay"): "a condition (date helpers arrive after Kestra 1.0)",
    ("function", "assets"): "nothing in Kestra OSS 1.0 (assets() is Enterprise-only)",
}
