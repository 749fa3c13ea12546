"""Parse and compile Traefik v3 router rules, restricted to the path matchers the routing table uses.

Traefik parses a rule as a Go expression: matcher calls with backtick or double-quoted string
arguments, combined with ``&&`` (binds tighter) and ``||`` and grouped with parentheses. The compiled
rule is a predicate on the routing path, so matching a request costs a few string operations.
``PathRegexp`` is unanchored, as in Traefik (Go's ``regexp.MatchString``); Python's ``re`` stands in for
RE2, which agrees on the patterns a router uses (no back-references or look-arounds).
Anything else (``Host``, ``Method``, ``!`` ...) is refused rather than guessed at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Final

__all__ = ["SUPPORTED_MATCHERS", "PathPredicate", "RuleError", "compile_rule", "matchers_in"]

PathPredicate = Callable[[str], bool]

SUPPORTED_MATCHERS: Final = ("Path", "PathPrefix", "PathRegexp")

_TOKEN = re.compile(
    r"\s*(?:(?P<op>&&|\|\||[(),!])|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<raw>`[^`]*`)|(?P<quoted>\"(?:[^\"\\]|\\.)*\"))"
)


class RuleError(ValueError):
    """The rule is malformed or uses a matcher or operator the native gateway does not implement."""


def _tokenize(rule: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(rule):
        if rule[pos:].strip() == "":
            break
        match = _TOKEN.match(rule, pos)
        if match is None:
            raise RuleError(f"cannot parse rule near {rule[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        text = match.group(kind)
        if kind == "raw":
            kind, text = "str", text[1:-1]
        elif kind == "quoted":
            kind, text = "str", json.loads(text)
        tokens.append((kind, text))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, rule: str) -> None:
        self.tokens = _tokenize(rule)
        self.pos = 0
        self.matchers: list[str] = []

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str, text: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (text is not None and token[1] != text):
            wanted = text or kind
            found = "end of rule" if token is None else repr(token[1])
            raise RuleError(f"expected {wanted!r}, found {found}")
        self.pos += 1
        return token[1]

    def parse(self) -> PathPredicate:
        if not self.tokens:
            raise RuleError("empty rule")
        predicate = self.or_expr()
        if self.peek() is not None:
            raise RuleError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return predicate

    def or_expr(self) -> PathPredicate:
        parts = [self.and_expr()]
        while self.peek() == ("op", "||"):
            self.pos += 1
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda path: any(part(path) for part in parts)

    def and_expr(self) -> PathPredicate:
        parts = [self.operand()]
        while self.peek() == ("op", "&&"):
            self.pos += 1
            parts.append(self.operand())
        if len(parts) == 1:
            return parts[0]
        return lambda path: all(part(path) for part in parts)

    def operand(self) -> PathPredicate:
        token = self.peek()
        if token == ("op", "("):
            self.pos += 1
            inner = self.or_expr()
            self.take("op", ")")
            return inner
        if token == ("op", "!"):
            raise RuleError("negation '!' is not implemented by the native gateway")
        name = self.take("ident")
        if name not in SUPPORTED_MATCHERS:
            supported = ", ".join(SUPPORTED_MATCHERS)
            raise RuleError(
                f"matcher {name!r} is not implemented by the native gateway (supported: {supported})"
            )
        self.matchers.append(name)
        self.take("op", "(")
        args = [self.take("str")]
        while self.peek() == ("op", ","):
            self.pos += 1
            args.append(self.take("str"))
        self.take("op", ")")
        if len(args) != 1:
            raise RuleError(f"{name} takes exactly one argument, got {len(args)}")
        return _matcher(name, args[0])


def _matcher(name: str, value: str) -> PathPredicate:
    if name == "PathRegexp":
        try:
            search = re.compile(value).search
        except re.error as exc:
            raise RuleError(f"PathRegexp({value!r}) is not a valid regular expression: {exc}") from exc
        return lambda path: search(path) is not None
    if not value.startswith("/"):
        raise RuleError(f"{name}: path {value!r} does not start with a '/'")
    if name == "Path":
        return value.__eq__
    return lambda path: path.startswith(value)


def compile_rule(rule: str) -> PathPredicate:
    """Compile a rule to a predicate on the routing path; raise ``RuleError`` if it is unsupported."""
    return _Parser(rule).parse()


def matchers_in(rule: str) -> list[str]:
    """The matcher names a rule uses, in order (for the parity test and error messages)."""
    parser = _Parser(rule)
    parser.parse()
    return parser.matchers
