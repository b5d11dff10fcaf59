"""The item-by-item JSON reader, across chunk boundaries and layouts."""

import io
import json
import tracemalloc
from typing import Any

import pytest

from app.db import Database
from app.errors import Invalid
from app.services.exchange import jsonstream, record_import

DOC = {
    "format": "x",
    "version": 12345,
    "empty": [],
    "items": [
        {"a": 1, "b": 'q"uo}te]s, and \\ back\nslash', "c": [1, 2, [3]], "d": None},
        123456789,
        "text with ünïcödé ✓",
        [],
        {"nested": {"deep": [{"x": True}]}},
        1.5e10,
    ],
    "last": False,
}


def read(text: str) -> list[object]:
    return list(jsonstream.events(io.StringIO(text)))


def expected() -> list[object]:
    return [
        jsonstream.Scalar("format", "x"),
        jsonstream.Scalar("version", 12345),
        jsonstream.ArrayStart("empty"),
        jsonstream.ArrayEnd("empty", 0),
        jsonstream.ArrayStart("items"),
        *(jsonstream.Item("items", i, v) for i, v in enumerate(DOC["items"])),  # type: ignore[arg-type]
        jsonstream.ArrayEnd("items", 6),
        jsonstream.Scalar("last", False),
    ]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize("indent", [None, 2])
def test_any_layout_and_chunk_size(monkeypatch: pytest.MonkeyPatch, chunk: int, indent: int | None) -> None:
    monkeypatch.setattr(jsonstream, "CHUNK", chunk)
    assert read(json.dumps(DOC, indent=indent, ensure_ascii=False)) == expected()


def test_empty_object() -> None:
    assert read(" { } ") == []


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", 1),
        ("[1]", 1),
        ('{"a": [1, 2', 1),
        ('{"a": [1 2]}', 1),
        ('{\n"a": [1,\n{"b": }]}', 3),
        ('{"a": 1} trailing', 1),
        ('{"a": 1,}', 1),
        ("{a: 1}", 1),
    ],
)
def test_errors_say_where(monkeypatch: pytest.MonkeyPatch, text: str, line: int) -> None:
    monkeypatch.setattr(jsonstream, "CHUNK", 4)
    with pytest.raises(jsonstream.JsonShapeError) as info:
        read(text)
    assert info.value.line == line


class Generated(io.TextIOBase):
    """A document made as it is read: `head`, then `body` `times` times, then `tail` (the test
    holds none of it: whatever memory the reading takes is the reader's)."""

    def __init__(self, head: str, body: str, times: int, tail: str) -> None:
        self.pending = [head]
        self.body, self.times, self.tail = body, times, tail

    def read(self, size: int | None = -1) -> str:
        size = (1 << 30) if size is None or size < 0 else size
        out: list[str] = []
        while size > 0:
            if self.pending:
                out.append(self.pending.pop(0))
            elif self.times > 0:
                count = min(self.times, max(1, size // len(self.body)))
                out.append(self.body * count)
                self.times -= count
            elif self.tail:
                out.append(self.tail)
                self.tail = ""
            else:
                break
            size -= len(out[-1])
        return "".join(out)


def peak_of(read: Any) -> tuple[BaseException | None, float]:
    """What reading raised, and the peak memory it took (MB)."""
    tracemalloc.start()
    try:
        read()
    except Exception as exc:
        return exc, tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    return None, 0.0


@pytest.mark.parametrize(
    ("head", "body", "times", "tail", "what"),
    [
        # 65 MB of text in one item (a decoded copy, and the text copied per megabyte, before).
        ('{"decisions": [{"summary": "', "x" * 1000, 65_000, '"}]}', "characters"),
        ('{"decisions": [{"penalty_amount": ', "1" * 1000, 65_000, "}]}", "characters"),
        # A million small values (a dict each once decoded: 1 GB for a 65 MB item of them).
        ('{"decisions": [{"tags": [', "{}, " * 1000, 1000, "{}]}]}", "values"),
    ],
)
def test_a_huge_item_is_refused_as_it_is_read(head: str, body: str, times: int, tail: str, what: str) -> None:
    raised, peak = peak_of(lambda: list(jsonstream.events(Generated(head, body, times, tail))))
    assert isinstance(raised, jsonstream.TooLarge), raised
    assert raised.where == "decisions[0]" and what in raised.what
    assert peak < (100 if what == "characters" else 20), peak


def test_items_up_to_the_limits_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonstream, "CHUNK", 7)
    monkeypatch.setattr(jsonstream, "MAX_ITEM_VALUES", 10)
    monkeypatch.setattr(jsonstream, "MAX_ITEM_CHARS", 60)
    ok = {"a": [1, 2, 3, 4, 5, 6, 7], "b": "x" * 20}  # 10 values, under 60 characters
    assert read(json.dumps({"items": [ok, "y" * 50]})) == [
        jsonstream.ArrayStart("items"),
        jsonstream.Item("items", 0, ok),
        jsonstream.Item("items", 1, "y" * 50),
        jsonstream.ArrayEnd("items", 2),
    ]
    for too_big in ({"a": list(range(20))}, {"b": "x" * 60}, "z" * 70):
        with pytest.raises(jsonstream.TooLarge) as info:
            read(json.dumps({"items": [ok, too_big]}))
        assert info.value.where == "items[1]"
    with pytest.raises(jsonstream.TooLarge) as info:
        read(json.dumps({"format": "f" * 70, "items": []}))
    assert info.value.where == "format"


def test_the_import_names_a_huge_item(db: Database) -> None:
    with db.transaction(actor="test") as session, pytest.raises(Invalid) as info:
        sections = '"regulators": [], "organisations": [], "cases": []'
        head = f'{{"format": "findings-tracker-record", "version": 1, {sections}, "decisions": [{{"tags": ['
        record_import.import_record(session, Generated(head, "1, " * 1000, 200, "1]}]}"))
    assert [(e.field, e.type) for e in info.value.errors] == [("decisions[0]", "too_large")]
