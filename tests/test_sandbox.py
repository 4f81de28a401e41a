"""The expression sandbox: template-injection payloads and resource exhaustion.

Every payload must fail with an ExpressionError (UndefinedError, SandboxError or a wrapped
syntax error) and never reach Python internals: no module, function, class or frame object
comes back, no command runs (a marker file is never created), and limits hold.
"""

from __future__ import annotations

import datetime as dt
import types
from pathlib import Path
from typing import Any

import pytest

from runtime.errors import ExpressionError, SandboxError, UndefinedError
from runtime.evaluate import Limits
from runtime.templates import Renderer, render, render_typed

MARKER = "flowc-sandbox-marker"


class Secretive:
    """An arbitrary Python object slipped into a context: its attributes must stay unreachable."""

    def __init__(self, marker: Path) -> None:
        self._marker = marker

    @property
    def secret(self) -> str:
        self._marker.touch()  # reaching this means the evaluator called getattr
        return "leaked"

    def run(self) -> str:
        self._marker.touch()
        return "ran"


def _context(marker: Path) -> dict[str, Any]:
    return {
        "inputs": {"name": "Ada"},
        "variables": {"a": 1},
        "response": {"status": 200},
        "flow": {"id": "f"},
        "execution": {"startDate": dt.datetime(2024, 1, 15, tzinfo=dt.UTC)},
        "obj": Secretive(marker),
        "fn": lambda: marker.touch(),
        "mod": types.ModuleType("os"),
        "big": "x" * 1000,
    }


def _payloads(marker: Path) -> list[tuple[str, type[ExpressionError]]]:
    touch = f"touch {marker}"
    return [
        # Jinja2 / Python SSTI
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", SandboxError),
        ("{{ ''.__class__ }}", SandboxError),
        ("{{ (1).__class__ }}", SandboxError),
        (f"{{{{ cycler.__init__.__globals__.os.popen('{touch}').read() }}}}", UndefinedError),
        (f"{{{{ lipsum.__globals__['os'].popen('{touch}') }}}}", UndefinedError),
        ("{{ self._TemplateReference__context }}", UndefinedError),
        ("{{ config.items() }}", UndefinedError),
        ("{{ request.application.__globals__ }}", UndefinedError),
        (
            "{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
            ExpressionError,
        ),
        ("{{ [].__class__.__base__.__subclasses__() }}", SandboxError),
        ("{{ inputs.__class__ }}", SandboxError),
        ("{{ inputs['__class__'] }}", SandboxError),
        ("{{ inputs.name.__class__.__base__ }}", SandboxError),
        ("{{ inputs.name.format_map(inputs) }}", SandboxError),
        ("{{ flow.__init__.__globals__ }}", SandboxError),
        ("{{ execution.startDate.__class__ }}", SandboxError),
        ("{{ execution.startDate.tzinfo }}", UndefinedError),
        ("{{ mod.system }}", UndefinedError),
        (f"{{{{ mod.system('{touch}') }}}}", SandboxError),
        ("{{ obj.secret }}", UndefinedError),
        ("{{ obj.run() }}", SandboxError),
        ("{{ obj._marker }}", SandboxError),
        ("{{ fn() }}", ExpressionError),  # a context value is never a callable function
        ("{{ fn.__globals__ }}", SandboxError),
        ("{{ ''.join }}", UndefinedError),
        ("{{ self.__init__.__globals__.__builtins__.open('/etc/passwd').read() }}", UndefinedError),
        # Pebble / Java SSTI
        (
            "{{ [].getClass().forName('java.lang.Runtime').getRuntime().exec('id') }}",
            SandboxError,
        ),
        ('{{ "".getClass().forName("java.lang.Runtime") }}', SandboxError),
        ("{{ variables.getClass() }}", SandboxError),
        ("{{ variables.class }}", UndefinedError),  # a map's attributes are its keys
        ("{{ inputs._secret }}", UndefinedError),
        ("{{ inputs.name._secret }}", SandboxError),
        ("{{ beans }}", UndefinedError),
        ("{{ response.getWriter() }}", SandboxError),
        ("{{ response.getOutputStream().write(1) }}", SandboxError),
        ("{{ _context }}", UndefinedError),
        ("{% include '/etc/passwd' %}", ExpressionError),
        ("{% import 'x' as y %}", ExpressionError),
        ("{% extends '/etc/passwd' %}", ExpressionError),
        # files and network only through services (none without a run)
        ("{{ read('/etc/passwd') }}", ExpressionError),
        ("{{ read('file:///etc/passwd') }}", ExpressionError),
        # resource exhaustion
        ("{{ range(10**9) }}", ExpressionError),
        ("{{ range(0, 1000000000) }}", SandboxError),
        ("{{ 0..1000000000 }}", SandboxError),
        ("{{ range(1000000000, 0, -1) | length }}", SandboxError),
        ("{{ 'a' * 10**9 }}", ExpressionError),
        ("{{ 'a' * 1000000000 }}", ExpressionError),
        ("{{ [1] * 1000000000 }}", ExpressionError),
        ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", SandboxError),
        (
            "{% macro a(n) %}{{ b(n) }}{% endmacro %}{% macro b(n) %}{{ a(n) }}{% endmacro %}"
            "{{ a(1) }}",
            SandboxError,
        ),
        (
            "{% set s = 'aaaaaaaaaa' %}{% for i in range(1, 40) %}{% set s = s ~ s %}{% endfor %}",
            SandboxError,
        ),
        (
            "{% set s = 'aaaaaaaaaa' %}{% for i in range(1, 40) %}{% set s = s + s %}{% endfor %}",
            SandboxError,
        ),
        (
            "{% set l = [1] %}{% for i in range(1, 40) %}{% set l = l + l %}{% endfor %}",
            SandboxError,
        ),
        (
            "{% for a in range(1, 100000) %}{% for b in range(1, 100000) %}{% endfor %}{% endfor %}",
            SandboxError,
        ),
        ("{% for i in range(1, 100000) %}{{ big }}{% endfor %}", SandboxError),
        ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", SandboxError),
        ("{{ " + "[" * 5000 + "]" * 5000 + " }}", SandboxError),
        ("{{ " + "-" * 5000 + "1 }}", SandboxError),
    ]


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / MARKER


def test_there_are_many_payloads(marker: Path) -> None:
    assert len(_payloads(marker)) >= 20


@pytest.mark.parametrize("index", range(len(_payloads(Path("/nonexistent")))))
def test_payload_fails_cleanly(index: int, marker: Path) -> None:
    template, expected = _payloads(marker)[index]
    with pytest.raises(ExpressionError) as info:
        render_typed(template, _context(marker))
    assert isinstance(info.value, expected), f"{type(info.value).__name__}: {info.value}"
    assert info.value.message  # a message a user can read
    assert not marker.exists(), "the payload reached Python internals"


def test_render_self_reference_is_bounded() -> None:
    context = {"vars": {"x": "{{ render(vars.x) }}"}}
    with pytest.raises(SandboxError, match="render"):
        render("{{ render(vars.x) }}", context)


def test_values_that_come_back_are_data(marker: Path) -> None:
    """Typed rendering returns data, or an object the caller itself put in the context."""
    context = _context(marker)
    expressions = [
        "{{ inputs }}",
        "{{ inputs.name.toUpperCase() }}",
        "{{ variables.keySet() }}",
        "{{ variables.values() }}",
        "{{ range(1, 3) }}",
        "{{ execution.startDate }}",
        "{{ 'x' ~ obj }}",
    ]
    allowed = (str, int, float, bool, type(None), dict, list, dt.datetime)
    for template in expressions:
        assert isinstance(render_typed(template, context), allowed), template
    assert render_typed("{{ obj }}", context) is context["obj"]
    assert render_typed("{{ mod }}", context) is context["mod"]
    assert not marker.exists()


def test_limits_are_configurable() -> None:
    small = Renderer(limits=Limits(max_range=10, max_output=20))
    assert small.render("{{ range(1, 10) | length }}", {}) == "10"
    with pytest.raises(SandboxError):
        small.render("{{ range(1, 11) }}", {})
    with pytest.raises(SandboxError, match="output too large"):
        small.render("{% for i in range(1, 10) %}abc{% endfor %}", {})


def test_sandbox_error_is_an_expression_error() -> None:
    assert issubclass(SandboxError, ExpressionError)
    assert issubclass(UndefinedError, ExpressionError)
