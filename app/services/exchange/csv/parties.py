"""A row made to several parties: one recommendation for each, with its own replies.

A mapping whose `[organisation]` name is split (`name = { column = "recipient", map =
"parties", split = "|" }`, the map giving "Tranzdev Wellington|Auckland One Rail" for TAIC's
"Tranzdev Wellington and Auckland One Rail") makes of such a row one row per party, before its
derived columns are computed: the name column holds that party alone, and each column named by
`[organisation] replies = { column = "reply_text", heading = "(?im)^on \\d+ \\w+ \\d{4}" }`
keeps only that party's replies. The reply is cut at the headings; a section belongs to the
party its heading's line names (its name, or an alias the mapping gives it), a heading naming
none continues the section before it ("and on 15 October 2024:"), and text before the first
heading is every party's. A party no heading names gets no reply: its recommendation stays
pending rather than take another's answer.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.services.exchange.csv.mapping_spec import Spec, fold

if TYPE_CHECKING:
    from app.services.exchange.csv.patterns import Pattern


@dataclass(frozen=True)
class Replies:
    """`[organisation] replies`: the columns holding each party's replies, and their headings."""

    columns: tuple[str, ...]
    heading: "Pattern"


def parse_replies(
    value: Any, bad: Callable[[str, str], None], regex: Callable[[str, Any], "Pattern | None"]
) -> Replies | None:
    if value is None:
        return None
    where = "organisation.replies"
    if not isinstance(value, dict) or set(value) - {"column", "heading"} or "heading" not in value:
        bad(where, 'a table: { column = "reply" (or a list of columns), heading = "regular expression" }')
        return None
    columns = value.get("column", [])
    columns = [columns] if isinstance(columns, str) else columns
    if not columns or not all(isinstance(c, str) for c in columns):
        bad(f"{where}.column", "a column name, or a list of them")
        return None
    heading = regex(f"{where}.heading", value["heading"])
    return None if heading is None else Replies(tuple(columns), heading)


def split_name(name: Spec | None, where: str, bad: Callable[[str, str], None], derived: set[str]) -> None:
    """A split organisation name must read a column of the file (rows are split before their
    derived columns are computed)."""
    if name is not None and name.split is not None and (name.column is None or name.column in derived):
        bad(where, "a name split into several parties reads a column of the file (not a derived one)")


class Splitter:
    """Splits a row made to several parties (see the module's docstring)."""

    def __init__(
        self, name: Spec, replies: Replies | None, aliases: dict[str, str], lists: dict[str, list[str]]
    ) -> None:
        self.name = name
        self.replies = replies
        self.aliases = aliases  # folded alias -> the organisation's name
        self.lists = lists  # name -> its aliases

    def rows(self, row: dict[str, str]) -> list[dict[str, str]]:
        """The row, or one row per party when it names several."""
        parties = self.name.items(row, "organisation.name")
        if len(parties) < 2:
            return [row]
        known = {party: self._names_of(party) for party in parties}
        out = []
        for party in parties:
            own = dict(row)
            own[self.name.column or ""] = party
            for column in self.replies.columns if self.replies is not None else ():
                own[column] = self._own(row.get(column, ""), party, known)
            out.append(own)
        return out

    def _names_of(self, party: str) -> "re.Pattern[str]":
        name = self.aliases.get(fold(party), party)
        names = sorted({party, name, *self.lists.get(name, [])}, key=len, reverse=True)
        return re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b", re.IGNORECASE)

    def _own(self, text: str, party: str, known: dict[str, "re.Pattern[str]"]) -> str:
        assert self.replies is not None
        starts = [m.start() for m in self.replies.heading.finditer(text)]
        if not starts:
            return text
        kept = [text[: starts[0]]]
        owner: str | None = None
        for i, start in enumerate(starts):
            section = text[start : starts[i + 1] if i + 1 < len(starts) else len(text)]
            line = section.split("\n", 1)[0]
            named = [p for p, names in known.items() if names.search(line)]
            if named:
                owner = named[0]
            if owner == party:
                kept.append(section)
        return "".join(kept).strip()
