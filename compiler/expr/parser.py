"""The Pebble grammar, as Kestra configures it.

Binary operators are climbed from one table, :data:`BINARY_OPERATORS`, that reads like
Pebble's precedence list (Kestra 1.0: ``??``/``???``/``isIn`` at 120, above ``|`` and ``~``).
Changing where an operator binds is a one-line edit here.
"""

from __future__ import annotations

import re
from functools import lru_cache

from compiler.expr import nodes as n
from compiler.expr.lexer import (
    EOF,
    ISTRING,
    NAME,
    NUMBER,
    OP,
    PRINT_CLOSE,
    PRINT_OPEN,
    PUNCT,
    RAW,
    STRING,
    TAG_CLOSE,
    TAG_OPEN,
    TEXT,
    TemplateSyntaxError,
    Token,
    tokenize,
)

#: token -> precedence. Higher binds tighter. Sources: Pebble CoreExtension, Kestra Extension.
BINARY_OPERATORS: dict[str, int] = {
    "or": 10,
    "and": 15,
    "is": 20,  # tests: ``x is defined``, ``x is not null``
    "contains": 20,
    "==": 30,
    "!=": 30,
    "<": 30,
    ">": 30,
    "<=": 30,
    ">=": 30,
    "equals": 30,
    "+": 40,
    "-": 40,
    "*": 60,
    "/": 60,
    "%": 60,
    "|": 100,  # filters
    "~": 110,
    "..": 120,
    "??": 120,
    "???": 120,
    "isIn": 120,
}
UNARY_PRECEDENCE = 500
UNARY_OPERATORS = ("not", "-", "+")
#: Operators whose right-hand side is parsed at the same level (left-associative).
_WORD_OPERATORS = {"or", "and", "is", "contains", "equals", "isIn"}
_KEYWORD_LITERALS = {
    "true": True,
    "false": False,
    "null": None,
    "none": None,
    "TRUE": True,
    "FALSE": False,
    "NULL": None,
    "NONE": None,
    "True": True,
    "False": False,
    "None": None,
}
_PEBBLE_TOKEN_TYPES = {
    OP: "OPERATOR",
    PUNCT: "PUNCTUATION",
    STRING: "STRING",
    ISTRING: "STRING",
    NUMBER: "NUMBER",
    PRINT_CLOSE: "PRINT_END",
    TAG_CLOSE: "EXECUTE_END",
    EOF: "EOF",
}
_END_TAGS = {
    "if": ("elseif", "else", "endif"),
    "for": ("else", "endfor"),
    "macro": ("endmacro",),
    "filter": ("endfilter",),
    "block": ("endblock",),
}


class Parser:
    def __init__(self, source: str, tokens: list[Token] | None = None) -> None:
        self.source = source
        self.tokens = tokenize(source) if tokens is None else tokens
        self.pos = 0

    # -- token helpers ------------------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != EOF:
            self.pos += 1
        return token

    def at(self, kind: str, value: object = None) -> bool:
        token = self.tok
        return token.kind == kind and (value is None or token.value == value)

    def at_word(self, word: str) -> bool:
        return self.tok.kind == NAME and self.tok.value == word

    def expect(self, kind: str, value: object = None, what: str | None = None) -> Token:
        if not self.at(kind, value):
            self.error(
                f"expected {what or repr(value) if value is not None else what or kind}, found {self.describe(self.tok)}"
            )
        return self.advance()

    def describe(self, token: Token) -> str:
        if token.kind == EOF:
            return "end of template"
        if token.kind in (PRINT_CLOSE, TAG_CLOSE):
            return f"'{token.value}'"
        if token.kind == STRING:
            return f"string {token.value!r}"
        return f"'{token.value}'"

    def error(self, message: str, token: Token | None = None) -> None:
        token = token or self.tok
        raise TemplateSyntaxError(message, token.start, max(token.end, token.start + 1))

    # -- template structure ------------------------------------------------------------------

    def parse_template(self) -> n.Template:
        body = self.parse_body(())
        if not self.at(EOF):
            self.error(f"unexpected {self.describe(self.peek())}")
        return n.Template((0, len(self.source)), self.source, body)

    def parse_body(self, end_tags: tuple[str, ...]) -> tuple[n.Stmt, ...]:
        body: list[n.Stmt] = []
        while not self.at(EOF):
            token = self.tok
            if token.kind == TEXT:
                self.advance()
                if token.value:
                    body.append(n.Text((token.start, token.end), str(token.value)))
            elif token.kind == RAW:
                self.advance()
                body.append(n.Raw((token.start, token.end), str(token.value)))
            elif token.kind == PRINT_OPEN:
                self.advance()
                if self.at(PRINT_CLOSE):
                    self.error("empty expression '{{ }}'")
                expr = self.parse_expression()
                close = self.expect(PRINT_CLOSE, what="'}}'")
                body.append(n.Print((token.start, close.end), expr))
            elif token.kind == TAG_OPEN:
                name_token = self.peek()
                if name_token.kind == NAME and name_token.value in end_tags:
                    return tuple(body)
                body.append(self.parse_tag())
            else:
                self.error(f"unexpected {self.describe(token)}")
        if end_tags:
            raise TemplateSyntaxError(
                f"unclosed tag: expected '{{% {end_tags[-1]} %}}' before the end of the template",
                len(self.source),
                len(self.source),
            )
        return tuple(body)

    def parse_tag(self) -> n.Stmt:
        open_token = self.advance()
        name = self.expect(NAME, what="a tag name")
        method = getattr(self, f"parse_tag_{name.value}", None)
        if method is None:
            self.error(f"unknown tag '{name.value}'", name)
        return method(open_token.start)

    def end_tag(self, name: str) -> int:
        self.expect(TAG_OPEN, what=f"'{{% {name} %}}'")
        self.expect(NAME, name)
        return self.expect(TAG_CLOSE, what="'%}'").end

    def parse_tag_if(self, start: int) -> n.If:
        branches: list[tuple[n.Expr, tuple[n.Stmt, ...]]] = []
        test = self.parse_expression()
        self.expect(TAG_CLOSE, what="'%}'")
        otherwise: tuple[n.Stmt, ...] = ()
        while True:
            body = self.parse_body(_END_TAGS["if"])
            branches.append((test, body))
            self.expect(TAG_OPEN)
            word = self.advance()
            if word.value == "elseif":
                test = self.parse_expression()
                self.expect(TAG_CLOSE, what="'%}'")
                continue
            if word.value == "else":
                self.expect(TAG_CLOSE, what="'%}'")
                otherwise = self.parse_body(("endif",))
                end = self.end_tag("endif")
                break
            end = self.expect(TAG_CLOSE, what="'%}'").end
            break
        return n.If((start, end), tuple(branches), otherwise)

    def parse_tag_for(self, start: int) -> n.For:
        if not self.at(NAME):  # Pebble's own wording, which users search for
            kind = _PEBBLE_TOKEN_TYPES.get(self.tok.kind, self.tok.kind.upper())
            self.error(
                f'Unexpected token of value "{self.tok.value}" and type {kind}, '
                "expected token of type NAME"
            )
        target = str(self.expect(NAME, what="a loop variable").value)
        if self.at(PUNCT, ","):  # ``for k, v in map`` is not Pebble; say so clearly
            self.error("Pebble's for loop takes one variable; iterate entries and use .key/.value")
        if not self.at_word("in"):
            self.error(f"expected 'in' after 'for {target}', found {self.describe(self.tok)}")
        self.advance()
        iterable = self.parse_expression()
        self.expect(TAG_CLOSE, what="'%}'")
        body = self.parse_body(_END_TAGS["for"])
        otherwise: tuple[n.Stmt, ...] = ()
        self.expect(TAG_OPEN)
        word = self.advance()
        self.expect(TAG_CLOSE, what="'%}'")
        if word.value == "else":
            otherwise = self.parse_body(("endfor",))
            end = self.end_tag("endfor")
        else:
            end = self.tokens[self.pos - 1].end
        return n.For((start, end), target, iterable, body, otherwise)

    def parse_tag_set(self, start: int) -> n.Set:
        name = str(self.expect(NAME, what="a variable name").value)
        self.expect(OP, "=", what="'='")
        expr = self.parse_expression()
        end = self.expect(TAG_CLOSE, what="'%}'").end
        return n.Set((start, end), name, expr)

    def parse_tag_macro(self, start: int) -> n.Macro:
        name = str(self.expect(NAME, what="a macro name").value)
        self.expect(PUNCT, "(", what="'('")
        params: list[tuple[str, n.Expr | None]] = []
        while not self.at(PUNCT, ")"):
            param = str(self.expect(NAME, what="a parameter name").value)
            default = None
            if self.at(OP, "="):
                self.advance()
                default = self.parse_expression()
            params.append((param, default))
            if not self.at(PUNCT, ")"):
                self.expect(PUNCT, ",", what="',' or ')'")
        self.advance()
        self.expect(TAG_CLOSE, what="'%}'")
        body = self.parse_body(_END_TAGS["macro"])
        end = self.end_tag("endmacro")
        return n.Macro((start, end), name, tuple(params), body)

    def parse_tag_filter(self, start: int) -> n.FilterBlock:
        filters = [self.parse_filter_call(n.Literal((start, start), None))]
        while self.at(OP, "|"):
            self.advance()
            filters.append(self.parse_filter_call(n.Literal((start, start), None)))
        self.expect(TAG_CLOSE, what="'%}'")
        body = self.parse_body(_END_TAGS["filter"])
        end = self.end_tag("endfilter")
        return n.FilterBlock((start, end), tuple(filters), body)

    def parse_tag_block(self, start: int) -> n.Block:
        if self.at(STRING):  # ``{% block 'content' %}``
            name = str(self.advance().value)
        else:
            name = str(self.expect(NAME, what="a block name").value)
        self.expect(TAG_CLOSE, what="'%}'")
        body = self.parse_body(_END_TAGS["block"])
        self.expect(TAG_OPEN)
        self.expect(NAME, "endblock")
        if self.at(NAME) or self.at(STRING):
            self.advance()
        end = self.expect(TAG_CLOSE, what="'%}'").end
        return n.Block((start, end), name, body)

    # -- expressions -------------------------------------------------------------------------

    def parse_expression(self, min_precedence: int = 0) -> n.Expr:
        left = self.parse_unary()
        while True:
            op = self.binary_operator()
            if op is None:
                break
            precedence = BINARY_OPERATORS[op]
            if precedence < min_precedence:
                break
            op_token = self.advance()
            if op == "|":
                left = self.parse_filter_call(left)
                continue
            if op == "is":
                left = self.parse_test(left, op_token)
                continue
            if op == "not":  # ``a not in``-style forms do not exist in Pebble
                self.error("unexpected 'not'", op_token)
            right = self.parse_expression(precedence + 1)
            left = n.Binary((left.span[0], right.span[1]), op, left, right)
        if min_precedence == 0 and self.at(OP, "?"):
            self.advance()
            then = self.parse_expression()
            self.expect(OP, ":", what="':' of the ternary 'c ? a : b'")
            otherwise = self.parse_expression()
            left = n.Cond((left.span[0], otherwise.span[1]), left, then, otherwise)
        return left

    def binary_operator(self) -> str | None:
        token = self.tok
        if token.kind == OP and token.value in BINARY_OPERATORS:
            return str(token.value)
        if token.kind == NAME and token.value in _WORD_OPERATORS:
            return str(token.value)
        return None

    def parse_unary(self) -> n.Expr:
        token = self.tok
        if (token.kind == NAME and token.value == "not") or (
            token.kind == OP and token.value in ("-", "+")
        ):
            self.advance()
            operand = self.parse_expression(UNARY_PRECEDENCE)
            return n.Unary((token.start, operand.span[1]), str(token.value), operand)
        return self.parse_postfix(self.parse_primary())

    def parse_primary(self) -> n.Expr:
        token = self.tok
        if token.kind == NUMBER:
            self.advance()
            return n.Literal((token.start, token.end), token.value)
        if token.kind == STRING:
            self.advance()
            return n.Literal((token.start, token.end), token.value)
        if token.kind == ISTRING:
            self.advance()
            return self.parse_interpolation(token)
        if token.kind == NAME:
            self.advance()
            name = str(token.value)
            if name in _KEYWORD_LITERALS:
                return n.Literal((token.start, token.end), _KEYWORD_LITERALS[name])
            if self.at(PUNCT, "("):
                args, end = self.parse_args()
                return n.Call((token.start, end), name, args)
            return n.Name((token.start, token.end), name)
        if token.kind == PUNCT and token.value == "(":
            self.advance()
            expr = self.parse_expression()
            self.expect(PUNCT, ")", what="')'")
            return expr
        if token.kind == PUNCT and token.value == "[":
            return self.parse_list()
        if token.kind == PUNCT and token.value == "{":
            return self.parse_map()
        self.error(f"expected a value, found {self.describe(token)}")
        raise AssertionError  # unreachable

    def parse_interpolation(self, token: Token) -> n.Expr:
        """``"a #{x} b"``: Pebble concatenates the parts (``~`` semantics: null is skipped)."""
        parts: list[n.Expr] = []
        for part in token.value:  # type: ignore[attr-defined]
            if isinstance(part, str):
                parts.append(n.Literal((token.start, token.end), part))
                continue
            inner = Parser(self.source, list(part))
            if inner.at(EOF):
                inner.error("empty string interpolation '#{}'")
            parts.append(inner.parse_expression())
            if not inner.at(EOF):
                inner.error(f"expected '}}' closing '#{{', found {inner.describe(inner.tok)}")
        # Pebble nests to the right, a ~ (b ~ c); a lone ``"#{x}"`` is x itself.
        expr = parts[-1]
        for part in reversed(parts[:-1]):
            expr = n.Binary((token.start, token.end), "~", part, expr)
        return expr

    def parse_list(self) -> n.ListLit:
        start = self.advance().start
        items: list[n.Expr] = []
        while not self.at(PUNCT, "]"):
            items.append(self.parse_expression())
            if not self.at(PUNCT, "]"):
                self.expect(PUNCT, ",", what="',' or ']'")
                if self.at(PUNCT, "]"):
                    self.error("expected a value after ',' (no trailing comma in a list)")
        end = self.advance().end
        return n.ListLit((start, end), tuple(items))

    def parse_map(self) -> n.MapLit:
        start = self.advance().start
        pairs: list[tuple[n.Expr, n.Expr]] = []
        while not self.at(PUNCT, "}"):
            key = self.parse_expression()
            self.expect(OP, ":", what="':' in a map literal")
            value = self.parse_expression()
            pairs.append((key, value))
            if not self.at(PUNCT, "}"):
                self.expect(PUNCT, ",", what="',' or '}'")
                if self.at(PUNCT, "}"):
                    self.error("expected a key after ',' (no trailing comma in a map)")
        end = self.advance().end
        return n.MapLit((start, end), tuple(pairs))

    def parse_postfix(self, expr: n.Expr) -> n.Expr:
        while True:
            if self.at(PUNCT, "."):
                self.advance()
                token = self.tok
                if token.kind in (NAME, NUMBER) and not isinstance(token.value, float):
                    self.advance()
                    attr = str(token.value)
                    if token.kind == NAME and self.at(PUNCT, "("):
                        args, end = self.parse_args()
                        expr = n.MethodCall((expr.span[0], end), expr, attr, args)
                    else:
                        expr = n.GetAttr((expr.span[0], token.end), expr, attr)
                    continue
                self.error(f"expected an attribute name after '.', found {self.describe(token)}")
            elif self.at(PUNCT, "["):
                self.advance()
                key = self.parse_expression()
                end = self.expect(PUNCT, "]", what="']'").end
                expr = n.GetItem((expr.span[0], end), expr, key)
            else:
                return expr

    def parse_args(self) -> tuple[n.Args, int]:
        self.expect(PUNCT, "(")
        positional: list[n.Expr] = []
        named: list[tuple[str, n.Expr]] = []
        while not self.at(PUNCT, ")"):
            if self.at(NAME) and self.peek().kind == OP and self.peek().value == "=":
                name = str(self.advance().value)
                self.advance()
                named.append((name, self.parse_expression()))
            else:
                if named:
                    self.error("a positional argument cannot follow a named one")
                positional.append(self.parse_expression())
            if not self.at(PUNCT, ")"):
                self.expect(PUNCT, ",", what="',' or ')'")
        end = self.advance().end
        return n.Args(tuple(positional), tuple(named)), end

    def parse_filter_call(self, value: n.Expr) -> n.Filter:
        name = self.expect(NAME, what="a filter name after '|'")
        args = n.NO_ARGS
        end = name.end
        if self.at(PUNCT, "("):
            args, end = self.parse_args()
        return n.Filter((value.span[0], end), value, str(name.value), args, (name.start, name.end))

    def parse_test(self, value: n.Expr, is_token: Token) -> n.Test:
        negated = False
        if self.at_word("not"):
            self.advance()
            negated = True
        name = self.expect(NAME, what="a test name after 'is'")
        test_name = str(name.value)
        if test_name == "null" or test_name == "none":
            test_name = "null"
        args = n.NO_ARGS
        end = name.end
        if self.at(PUNCT, "("):
            args, end = self.parse_args()
        return n.Test((value.span[0], end), value, test_name, args, negated, (name.start, name.end))


def parse(source: str) -> n.Template:
    """Parse a template; raises :class:`TemplateSyntaxError` with an offset."""
    return _parse_simple(source) or Parser(source).parse_template()


_SIMPLE_PRINT = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")
_NOT_A_NAME = set(_KEYWORD_LITERALS) | _WORD_OPERATORS | {"not"}


def _parse_simple(source: str) -> n.Template | None:
    """The AST of a template whose only expressions are dotted names (``{{ outputs.a.b }}``),
    built without the general parser: most templates of large generated flows look like this.
    Returns None for anything else; the result equals what :class:`Parser` builds."""
    if "{%" in source or "{#" in source:
        return None
    body: list[n.Stmt] = []
    pos = 0
    for match in _SIMPLE_PRINT.finditer(source):
        text = source[pos : match.start()]
        if "{{" in text:
            return None
        names = match.group(1).split(".")
        if names[0] in _NOT_A_NAME or any(name in _WORD_OPERATORS for name in names[1:]):
            return None
        if text:
            body.append(n.Text((pos, match.start()), text))
        start = end = match.start(1)
        end += len(names[0])
        expr: n.Expr = n.Name((start, end), names[0])
        for attr in names[1:]:
            end += 1 + len(attr)
            expr = n.GetAttr((start, end), expr, attr)
        body.append(n.Print((match.start(), match.end()), expr))
        pos = match.end()
    tail = source[pos:]
    if "{{" in tail:
        return None
    if tail:
        body.append(n.Text((pos, len(source)), tail))
    return n.Template((0, len(source)), source, tuple(body))


@lru_cache(maxsize=65536)
def parse_cached(source: str) -> n.Template:
    return parse(source)


def parse_expression(source: str) -> n.Expr:
    """Parse a bare expression (no delimiters), e.g. an If task's condition."""
    template = parse("{{ " + source + " }}")
    expr = template.single_expression
    if expr is None:
        raise TemplateSyntaxError("not a single expression", 0)
    return expr


def has_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text
