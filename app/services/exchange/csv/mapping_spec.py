"""A mapping's field spec (see app/services/exchange/csv/mapping.py): where one value of a row comes from
and how it is cleaned, read and checked, once the mapping file has been parsed."""

import datetime as dt
import html
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # patterns imports RowError from here
    from app.services.exchange.csv.patterns import Match, Pattern

from app.schemas.precision import RANK, finer_than_carried, start_of
from app.services.exchange.csv.classify import Reading, Rule, classify
from app.vocab import DatePrecision


class RowError(ValueError):
    """A value of one row that cannot be used; the row is rejected with this reason."""


@dataclass
class Spec:
    column: str | None = None
    value: str | None = None
    template: str | None = None
    missing: frozenset[str] = frozenset()
    pattern: "Pattern | None" = None
    html_unescape: bool = False
    map: dict[str, str] | None = None
    map_folded: dict[str, str] | None = None
    default: str | None = None
    default_column: str | None = None
    strict: bool = False
    formats: tuple[str, ...] = ()
    split: str | None = None
    replace: tuple[tuple[str, str], ...] = ()
    sections: "Pattern | None" = None
    find: "Pattern | None" = None
    pick: str = "last"
    classify: tuple[Rule, ...] = ()
    accept_at: float | None = None
    default_precision: tuple[int, int] | None = None
    of_group: str | None = None

    def columns_read(self) -> set[str]:
        """The columns this spec reads (so that a file lacking one is refused up front)."""
        found = {c for c in (self.column, self.default_column) if c}
        if self.template is not None:
            found |= {name for _, name, _, _ in string.Formatter().parse(self.template) if name}
        return found

    def raw(self, row: Mapping[str, str]) -> str | None:
        if self.value is not None:
            text: str | None = self.value
        elif self.template is not None:
            text = self.template.format_map(_Blank(row))
        else:
            text = row.get(self.column or "") or ""
        if text is None:
            return None
        for old, new in self.replace:
            text = text.replace(old, new)
        text = text.strip()
        if self.html_unescape:
            text = html.unescape(text)
        if self.sections is not None:
            text = self._pick(_sections(self.sections, text)).strip()
        if self.find is not None:
            text = self._pick([_found(m) for m in self.find.finditer(text)]).strip()
        if text in self.missing or (self.pattern is not None and not self.pattern.search(text)):
            text = ""
        return text or None

    def _pick(self, found: list[tuple[str, str]]) -> str:
        """One of (text, its date text) as `pick` says; "" when there is none."""
        if not found:
            return ""
        if self.pick == "first":
            return found[0][0]
        if self.pick == "last":
            return found[-1][0]
        dated = [(day, i, text) for i, (text, when) in enumerate(found) if (day := self._day(when))]
        # Undated sections (or none dated at all): the last one stands for the latest.
        return max(dated)[2] if dated else found[-1][0]

    def _day(self, text: str) -> dt.date | None:
        for fmt in self.formats or ("%Y-%m-%d",):
            try:
                return dt.datetime.strptime(" ".join(text.split()), fmt).date()
            except ValueError:
                continue
        return None

    def reading(self, row: Mapping[str, str]) -> Reading | None:
        """With `classify`: how the row's text was classified, the default standing for no
        rule matching (None: no text to classify)."""
        text = self.raw(row)
        if text is None or not self.classify:
            return None
        found = classify(self.classify, text)
        return found if found.rule is not None else Reading(self._default(row), None, text)

    def text(self, row: Mapping[str, str], name: str) -> str | None:
        text = self.raw(row)
        if text is not None and self.classify:
            found = classify(self.classify, text)
            if found.rule is None:
                return self._default(row)
            if not found.value:
                return None  # a rule giving "" means no value
            text = found.value
        if text is not None and self.map is not None:
            mapped = self.map.get(text)
            if mapped is None and self.map_folded is not None:
                mapped = self.map_folded.get(fold(text))
            if mapped is None:
                if self.strict:
                    raise RowError(f"{name}: {text!r} is not in the mapping's table")
                fallback = self._default(row)
                mapped = fallback if fallback is not None else text
            text = mapped or None
        if text is None:
            text = self._default(row)
        return text

    def _default(self, row: Mapping[str, str]) -> str | None:
        if self.default_column is not None:
            return (row.get(self.default_column) or "").strip() or None
        return self.default

    def why_missing(self) -> str:
        """Why a required field has no value, for a rejected row's reason."""
        if self.missing:
            return (
                "no value (empty, or a value the mapping treats as missing: "
                + ", ".join(sorted(self.missing))
                + ")"
            )
        if self.pattern is not None:
            return f"no value (empty, or not matching {self.pattern.pattern!r})"
        return "no value"

    def date(self, row: Mapping[str, str], name: str) -> dt.date | None:
        text = self.text(row, name)
        if text is None:
            return None
        if not self.formats:
            try:
                return dt.date.fromisoformat(text)
            except ValueError as exc:
                raise RowError(f"{name}: {text!r} is not an ISO date (YYYY-MM-DD)") from exc
        for fmt in self.formats:
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise RowError(f"{name}: {text!r} does not match the date format {' or '.join(self.formats)}")

    def items(self, row: Mapping[str, str], name: str) -> list[str]:
        text = self.text(row, name)
        if text is None:
            return []
        parts = text.split(self.split) if self.split else [text]
        return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


def carried(spec: Spec) -> DatePrecision:
    """The finest precision every value of a date spec carries: a day for ISO dates, else the
    coarsest of its formats' (`%Y` a year, `%m/%Y` a month, `%d/%m/%Y` a day)."""
    found = [
        DatePrecision.day
        if re.search(r"%[dje]", fmt)
        else DatePrecision.month
        if re.search(r"%[mbB]", fmt)
        else DatePrecision.year
        for fmt in spec.formats
    ]
    return max(found, key=RANK.__getitem__, default=DatePrecision.day)


def precision_problems(section: str, specs: Mapping[str, Spec]) -> list[tuple[str, str]]:
    """(key, why) for each fixed date precision (`issued_on_precision = { value = "year" }`)
    that is no precision, or finer than its date's column carries."""
    out = []
    for name, spec in specs.items():
        date = specs.get(name.removesuffix("_precision"))
        if not name.endswith("_precision") or spec.value is None or date is None:
            continue
        where = f"{section}.{name}"
        if spec.value not in DatePrecision.__members__:
            out.append((where, f"{spec.value!r} is not a precision: one of day, month, year"))
        elif finer_than_carried(spec.value, carried(date)):
            read = f"with the format {' or '.join(date.formats)}" if date.formats else "as ISO dates"
            out.append(
                (
                    where,
                    f"{name.removesuffix('_precision')} is read {read}, which gives only a "
                    f"{carried(date).value}: it cannot have the precision {spec.value}",
                )
            )
    return out


def to_precision(day: dt.date, precision: str, spec: Spec, name: str) -> dt.date:
    """A date read as precise as the row says: its first day of that month or year (the day a
    source writes for a year alone is a placeholder); a row's precision that is none, or finer
    than its column carries, rejects the row."""
    if precision not in DatePrecision.__members__:
        raise RowError(f"{name}: {precision!r} is not a precision (day, month, year)")
    if finer_than_carried(precision, carried(spec)):
        raise RowError(f"{name}: the date's column gives only a {carried(spec).value}, not a {precision}")
    return start_of(day, precision)


def _sections(pattern: "Pattern", text: str) -> list[tuple[str, str]]:
    """The sections of `text`, each (its text, the date text of its heading)."""
    starts = list(pattern.finditer(text))
    if not starts:
        return [(text, "")] if text else []
    out = [(text[: starts[0].start()], "")] if text[: starts[0].start()].strip() else []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        out.append((text[match.start() : end], _found(match)[1]))
    return out


def _found(match: "Match") -> tuple[str, str]:
    """A match's value (group `value`, else group 1, else all) and its date text (group
    `date`, else the value)."""
    groups = match.groupdict()
    first = match.group(1) if match.groups() and "value" not in groups else None
    value = groups.get("value")
    if value is None:
        value = first if first is not None else match.group() or ""
    return value, groups.get("date") or value


class _Blank(dict[str, str]):
    """Template values: a column the row lacks is blank."""

    def __init__(self, row: Mapping[str, str]) -> None:
        super().__init__(row)

    def __missing__(self, key: str) -> str:
        return ""


def fold(text: str) -> str:
    """A name as compared for matching: case and runs of blanks ignored."""
    return " ".join(text.split()).casefold()


MAX_TEMPLATE_WIDTH = 200
_SPEC_NUMBER = re.compile(r"\d+")


def template_problem(template: Any) -> str | None:
    """Why a template is refused, or None: a placeholder names a column, nothing more (no
    `{a.b}` attribute or `{a[0]}` index access, no conversion), and a format's width or
    precision stays within MAX_TEMPLATE_WIDTH (a `{x:>99999999}` would make a huge string)."""
    if not isinstance(template, str):
        return "a template is a text"
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"is not a valid template: {exc}"
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name or "." in name or "[" in name:
            return f"{{{name}}}: a placeholder names a column, without . or [ ]"
        if conversion:
            return f"{{{name}!{conversion}}}: conversions are not allowed"
        if spec and ("{" in spec or any(int(n) > MAX_TEMPLATE_WIDTH for n in _SPEC_NUMBER.findall(spec))):
            return f"{{{name}:{spec}}}: widths over {MAX_TEMPLATE_WIDTH} (or nested fields) are not allowed"
    return None
