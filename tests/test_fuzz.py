"""Broken input never crashes the compiler: mutated flows (inserted delimiters, cut text,
swapped lines) always give a Compilation, never an exception. Seeded, so a failure replays."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from compiler.pipeline import compile_source

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").rglob("*.yaml"))
PIECES = list("{}[]%#|>-:'\"\n\t ?*&!~.$,") + [
    "{{",
    "}}",
    "{%",
    "%}",
    "??",
    "???",
    "{{ outputs.",
    "&a",
    "*a",
    "<<: ",
]


def mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 4)):
        pos = rng.randrange(len(text) + 1)
        roll = rng.random()
        if roll < 0.4:
            text = text[:pos] + rng.choice(PIECES) + text[pos:]
        elif roll < 0.7:
            text = text[:pos] + text[pos + rng.randint(1, 20) :]
        else:
            lines = text.splitlines(True)
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
    return text


@pytest.mark.parametrize("seed", range(4))
def test_mutated_flows_never_crash_the_compiler(seed):
    rng = random.Random(seed)
    for _ in range(150):
        text = mutate(rng.choice(EXAMPLES).read_text(), rng)
        result = compile_source(text, "fuzz.yaml", rng.choice(["data", "kestra"]))
        assert result.source.text == text
        for d in result.diagnostics:
            assert d.span.line >= 1 and d.span.column >= 1
