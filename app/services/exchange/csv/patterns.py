"""A CSV mapping's regular expressions (`pattern`, `sections`, `find`, `classify`), each search
bounded in time.

A mapping is written by whoever imports, and a regular expression can backtrack for ever on
a short text (`(\\w+\\s?)+$` took 3.3 s on 25 characters with the standard `re`; each character
more doubles it). They are compiled by the `regex` package, which sees through many such
patterns and stops any search after `TIME_LIMIT` seconds: the row is then rejected, naming the
expression, and the import goes on.
"""

from collections.abc import Iterator
from typing import Protocol, cast

import regex

from app.services.exchange.csv.mapping_spec import RowError

# Seconds one search of one row's text may take (the shipped mappings' take microseconds).
TIME_LIMIT = 0.25

error = regex.error


class Match(Protocol):
    """What the mappings read of a match. Declared here rather than taken from `regex`'s stubs,
    which are a type checker's extra (types-regex): the code checks the same with or without them."""

    def start(self) -> int: ...

    def span(self) -> tuple[int, int]: ...

    def group(self, index: int = 0, /) -> str | None: ...

    def groups(self) -> tuple[str | None, ...]: ...

    def groupdict(self) -> dict[str, str | None]: ...


class TooSlow(RowError):
    """A search ran past `TIME_LIMIT`: the row is rejected with this reason."""


class Pattern:
    """A compiled regular expression whose searches stop after `TIME_LIMIT` seconds."""

    def __init__(self, source: str) -> None:
        self.compiled = regex.compile(source)
        self.pattern = source

    @property
    def groups(self) -> int:
        return int(self.compiled.groups)

    def _too_slow(self) -> TooSlow:
        return TooSlow(
            f"the mapping's regular expression {self.pattern!r} took more than {TIME_LIMIT} s on this "
            "row's text (it backtracks too much: simplify it)"
        )

    def search(self, text: str) -> Match | None:
        try:
            return cast(Match | None, self.compiled.search(text, timeout=TIME_LIMIT))
        except TimeoutError:
            raise self._too_slow() from None

    def finditer(self, text: str) -> Iterator[Match]:
        """The matches, all found within the time limit (the limit is for the whole search)."""
        try:
            return iter(cast(list[Match], list(self.compiled.finditer(text, timeout=TIME_LIMIT))))
        except TimeoutError:
            raise self._too_slow() from None


def compile(source: str) -> Pattern:
    """`source` compiled; `error` when it is not a regular expression."""
    return Pattern(source)
