"""Read a large JSON document of the shape ``{"key": scalar, "key": [item, item, ...]}`` item
by item, so that memory stays flat however many items there are, and however big one is.

Each array item (and each top-level scalar) is decoded on its own with the standard
library's decoder; only the outer object and its arrays are walked by hand. Any valid JSON
of that shape is read, however it is laid out.

An item is measured before it is decoded: a scan of its text (strings skipped whole) finds
where it ends and counts its values and depth, and an item of more than `MAX_ITEM_CHARS`
characters or `MAX_ITEM_VALUES` values is refused (`TooLarge`) as soon as the scan passes
the limit, without reading the rest of it. Decoded, a value costs ten or more times its text
(a 65 MB item of small objects took 1 GB); the limits keep one item to tens of megabytes.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

CHUNK = 1 << 20
WHITESPACE = " \t\n\r"
# Deeper items are refused (the format's own go four levels down): a deeply nested item
# would otherwise exhaust the stack of the decoder or of whatever reads it next.
MAX_DEPTH = 32
# The largest item the format's caps allow is a decision of 500 findings of 50,000 characters
# (25 million characters) and about 10,000 values in all (findings, parties, sources, tags...).
MAX_ITEM_CHARS = 32 << 20
MAX_ITEM_VALUES = 100_000
MAX_PIECE = 8 << 20
# A token of an item's text: whatever is not a string or a bracket, comma or brace (numbers,
# literals, colons, blanks), then a whole string or one of those characters (group 1). No
# match: the buffer ends inside a token (more text is needed), or the text is not JSON.
TOKEN = re.compile(r'[^"\[\]{},]*+(?:"[^"\\]*+(?:\\.[^"\\]*+)*+"|([\[\]{},]))', re.DOTALL)


class JsonShapeError(ValueError):
    """The text is not JSON, or not a top-level object of scalars and arrays."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.line = line
        self.column = column


class TooLarge(JsonShapeError):
    """An item (or header value) of more than `MAX_ITEM_CHARS` characters or `MAX_ITEM_VALUES`
    values; `where` names it (`decisions[3]`)."""

    def __init__(self, where: str, what: str, line: int, column: int) -> None:
        super().__init__(f"{where} has {what}", line, column)
        self.where = where
        self.what = what


class TooDeep(JsonShapeError):
    """An item (or header value) nested deeper than `MAX_DEPTH`; `where` names it."""

    def __init__(self, where: str, line: int, column: int) -> None:
        super().__init__(f"{where} is nested more than {MAX_DEPTH} levels deep", line, column)
        self.where = where


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply arrays and objects nest in `value` (without recursion), up to `limit` + 1."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        current, level = stack.pop()
        if isinstance(current, dict | list):
            deepest = max(deepest, level)
            if level > limit:
                return level
            children = current.values() if isinstance(current, dict) else current
            stack.extend((child, level + 1) for child in children)
    return deepest


@dataclass(frozen=True)
class Scalar:
    key: str
    value: Any


@dataclass(frozen=True)
class Item:
    key: str
    index: int
    value: Any


@dataclass(frozen=True)
class ArrayStart:
    key: str


@dataclass(frozen=True)
class ArrayEnd:
    key: str
    count: int


class _Reader:
    def __init__(self, fp: TextIO) -> None:
        self.fp = fp
        self.buf = ""
        self.pos = 0
        self.eof = False
        # Line and column of buf[0], for error messages.
        self.line = 1
        self.column = 1
        self.decoder = json.JSONDecoder()

    def _refill(self, want: int = CHUNK) -> bool:
        if self.eof:
            return False
        # A long value is read in larger pieces (its text copied a few times, not once a megabyte).
        want = max(want, min(len(self.buf) - self.pos, MAX_PIECE))
        # Drop what was consumed, keeping line/column counts.
        consumed = self.buf[: self.pos]
        newlines = consumed.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(consumed) - consumed.rfind("\n")
        else:
            self.column += len(consumed)
        self.buf = self.buf[self.pos :]
        self.pos = 0
        data = self.fp.read(want)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def where(self) -> tuple[int, int]:
        before = self.buf[: self.pos]
        newlines = before.count("\n")
        if newlines:
            return self.line + newlines, len(before) - before.rfind("\n")
        return self.line, self.column + len(before)

    def error(self, message: str) -> JsonShapeError:
        return JsonShapeError(message, *self.where())

    def peek(self) -> str:
        """The next non-blank character ('' at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._refill():
                return ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            found = self.peek() or "the end of the text"
            raise self.error(f"expected {char!r}, found {found!r}")
        self.pos += 1

    def measure(self, where: str) -> None:
        """Read the whole of the next value into the buffer, counting its characters, values
        and depth as it comes; `TooLarge` or `TooDeep` as soon as it passes a limit (before
        it is decoded, and without reading the rest of it)."""
        self.peek()
        line, column = self.where()
        at = 0  # where the scan is, from self.pos (which a refill moves)
        depth = 0
        values = 1
        too_long = f"more than {MAX_ITEM_CHARS:,} characters"
        while True:
            match = TOKEN.match(self.buf, self.pos + at)
            if match is None:  # cut short (or not JSON: the decoder then says where)
                if len(self.buf) - self.pos > MAX_ITEM_CHARS:  # all of it the value's, unfinished
                    raise TooLarge(where, too_long, line, column)
                if not self._refill():
                    return
                continue
            at = match.end() - self.pos
            if at > MAX_ITEM_CHARS:
                raise TooLarge(where, too_long, line, column)
            char = match.group(1)
            if char in ("[", "{"):
                depth += 1
                values += 1
                if depth > MAX_DEPTH:
                    raise TooDeep(where, line, column)
            elif depth == 0:
                return  # a scalar: its string, or what came before this `,` `]` `}`
            elif char == ",":
                values += 1
                if values > MAX_ITEM_VALUES:
                    raise TooLarge(where, f"more than {MAX_ITEM_VALUES:,} values", line, column)
            elif char is not None:
                depth -= 1
                if depth == 0:
                    return

    def value(self) -> Any:
        """Decode one JSON value, reading more text as long as it is cut short."""
        self.peek()
        while True:
            if len(self.buf) - self.pos < CHUNK and not self.eof:
                self._refill()
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self._refill():
                    continue
                raise self.error(f"invalid JSON: {exc.msg}") from exc
            if end == len(self.buf) and self._refill():
                # A number may go on in the next chunk: decode again with it.
                continue
            self.pos = end
            return value


def events(fp: TextIO) -> Iterator[Scalar | ArrayStart | Item | ArrayEnd]:
    """The top-level object's scalars, and its arrays item by item."""
    r = _Reader(fp)
    r.expect("{")
    if r.peek() == "}":
        r.pos += 1
        _end(r)
        return
    while True:
        if r.peek() != '"':
            raise r.error("expected a key in double quotes")
        key = r.value()
        r.expect(":")
        if r.peek() == "[":
            r.pos += 1
            yield ArrayStart(key)
            count = 0
            if r.peek() == "]":
                r.pos += 1
            else:
                while True:
                    line, column = r.where()
                    r.measure(f"{key}[{count}]")
                    try:
                        item = r.value()
                    except RecursionError:
                        raise TooDeep(f"{key}[{count}]", line, column) from None
                    if depth(item) > MAX_DEPTH:
                        raise TooDeep(f"{key}[{count}]", line, column)
                    yield Item(key, count, item)
                    count += 1
                    char = r.peek()
                    if char == ",":
                        r.pos += 1
                        continue
                    r.expect("]")
                    break
            yield ArrayEnd(key, count)
        else:
            r.measure(key)
            try:
                scalar = r.value()
            except RecursionError:
                raise r.error(f"{key} is nested too deeply") from None
            if depth(scalar) > MAX_DEPTH:
                raise r.error(f"{key} is nested more than {MAX_DEPTH} levels deep")
            yield Scalar(key, scalar)
        char = r.peek()
        if char == ",":
            r.pos += 1
            continue
        r.expect("}")
        _end(r)
        return


def _end(r: _Reader) -> None:
    if r.peek() != "":
        raise r.error("unexpected text after the end of the document")
