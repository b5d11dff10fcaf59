"""The item-by-item JSON reader, across chunk boundaries and layouts."""

import io
import json

import pytest

from app.services.exchange import jsonstream

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
