"""A record's own words in the reader's language: a decision's title and summary, a
recommendation's text, shown from its translation where the record has one in the language the
page is read in, and said to be one ("translated from the original in French", the original
beside it); otherwise the original, marked with its language (`lang`) for screen readers and
the browser's own translation."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Shown:
    """One field as shown: its text, the language of that text (None where a list does not
    know it: a recommendation's original is in its decision's language), and where it is a
    translation, the original's text."""

    text: str | None
    lang: str | None
    original: str | None = None
    translated: bool = False


def _get(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, Mapping) else getattr(record, name, None)


def shown(record: Any, field: str, reader: str, language: str | None = None) -> Shown:
    """`field` of `record` (a read model or its dict) for a reader of `reader`; `language` is
    the record's own where it does not carry one (a recommendation's is its decision's). A
    translation is never into the record's own language, so one in the reader's is shown."""
    own = language or _get(record, "language")
    original = _get(record, field)
    if reader != own:
        found = (_get(record, "translations") or {}).get(reader)
        text = _get(found, field) if found is not None else None
        if text:
            return Shown(text=text, lang=reader, original=original, translated=True)
    return Shown(text=original, lang=own)

