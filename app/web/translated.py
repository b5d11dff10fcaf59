"""A record's own words in the reader's language: a decision's title and summary, a
recommendation's text, shown from its translation where the record has one in the language the
page is read in, and said to be one ("translated from the original in French", with the
original beside it); otherwise the original, marked with its language (`lang`) for screen
readers and browsers' own translation."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.schemas.languages import ENGLISH, language_name


@dataclass(frozen=True)
class Shown:
    """One field as shown: its text, the language of that text, and where it is a
    translation, the original's language and text."""

    text: str | None
    lang: str
    original_lang: str | None = None
    original: str | None = None

    @property
    def translated(self) -> bool:
        return self.original_lang is not None


def _get(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, Mapping) else getattr(record, name, None)


def _translation(translations: Any, reader: str, field: str) -> str | None:
    found = _get(translations, reader) if translations else None
    return _get(found, field) if found is not None else None


def shown(record: Any, field: str, reader: str, language: str | None = None) -> Shown:
    """`field` of `record` (a read model or its dict) for a reader of `reader`; `language` is
    the record's own where it does not carry one (a recommendation's is its decision's)."""
    own = language or _get(record, "language") or ENGLISH
    original = _get(record, field)
    if reader != own:
        text = _translation(_get(record, "translations"), reader, field)
        if text:
            return Shown(text=text, lang=reader, original_lang=own, original=original)
    return Shown(text=original, lang=own)


def said_language(code: str, reader: str) -> str:
    """A language's name as a reader of `reader` reads it ("French", "anglais")."""
    return language_name(code, reader)
