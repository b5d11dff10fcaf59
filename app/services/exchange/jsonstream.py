"""Read a large JSON document of the shape ``{"key": scalar, "key": [item, item, ...]}`` item
by item, so that memory stays flat however many items there are.

Each array item (and each top-level scalar) is decoded on its own with the standard
library's decoder; only the outer object and its arrays are walked by hand. Any valid JSON
of that shape is read, however it is laid out.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

CHUNK = 1 << 20
WHITESPACE = " \t\n\r"
# Deeper items are refused (the format's own go four levels down): a deeply nested item
# would otherwise exhaust the stack of the decoder or of whatever reads it next.
MAX_DEPTH = 32


class JsonShapeError(ValueError):
    """The text is not JSON, or not a top-level object of scalars and arrays."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.line = line
        self.column = column


class TooDeep(JsonShapeError):
    """An item nested deeper than `MAX_DEPTH`."""

    def __init__(self, key: str, index: int, line: int, column: int) -> None:
        super().__init__(f"{key}[{index}] is nested more than {MAX_DEPTH} levels deep", line, column)
        self.key = key
        self.index = index


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
                    try:
                        item = r.value()
                    except RecursionError:
                        raise TooDeep(key, count, line, column) from None
                    if depth(item) > MAX_DEPTH:
                        raise TooDeep(key, count, line, column)
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
