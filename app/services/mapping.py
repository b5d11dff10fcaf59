"""Mapping files: how the columns of someone else's CSV become decisions and recommendations.

A mapping is a TOML file (see docs/csv-import.md and the files in `mappings/`). Each field
of the record is given a *spec*: a table naming where its value comes from and how it is
cleaned. A bare string is short for ``{ column = "..." }``.

    column = "date"             the value of a CSV column (or of a derived column)
    value = "fine"              a fixed value
    template = "UPR {to} {year}"  columns put into a text
    missing = ["01/01/1970"]    values that mean "no value"
    pattern = "^https?://"      a value not matching this regular expression means "no value"
    html_unescape = true        turn `&#8217;` and the like into characters
    map = "positions"           look the value up in a named [maps] table (or an inline one);
                                matched exactly, then ignoring case and surrounding blanks
    default = "fine"            the value when there is none, or when `map` has no entry
    default_column = "country"  the same, taken from another column
    strict = true               with `map`: a value the map lacks rejects the row
    format = "%m/%d/%Y"         dates: strptime format(s), a string or a list; ISO otherwise
    split = ","                 lists: split the value, drop blanks
    replace = { "_x000D_" = "" } literal replacements, in order (before anything below)
    sections = "(?m)^On (?P<date>...)"  cut the text into sections, each starting where the
                                regular expression matches (text before the first match is a
                                section too), and keep the one `pick` says
    find = "\\d+ \\w+ \\d{4}"     the value is a match of this regular expression (its group
                                `value` if it has one, else its first group, else all of it);
                                no match means no value
    pick = "latest"             with sections or find: "first", "last" (the default), or
                                "latest": the one whose date (group `date`, else the match)
                                is latest, read with `format`
    classify = [{ match = "(?i)implemented", value = "complied" }, ...]
                                ordered rules over the value: the first regular expression
                                that matches gives the value ("" for none); no rule matching
                                gives `default`
    of_group = "min"            [decision] fields: the least ("min") or greatest ("max")
                                value over the rows of the decision (its earliest date)
"""

import codecs
import datetime as dt
import html
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from app.errors import FieldError, Invalid
from app.schemas.decision import DecisionCreate, DecisionScalars
from app.schemas.fields import is_list, part_model, value_type, vocabulary
from app.schemas.organisation import OrganisationCreate
from app.schemas.recommendation import AssessmentCreate, RecommendationCreate
from app.schemas.regulator import RegulatorCreate
from app.vocab import OrganisationRole, RegulatorRole

FORMAT = "findings-mapping"
VERSION = 1
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1")
# What to do with bytes the encoding does not define: fail, put U+FFFD, or read them as Mac
# Roman (some files mix in Mac Roman accents: 0x8E for "é" where cp1252 has nothing).
DECODE_ERRORS = ("strict", "replace", "mac_roman")

SPEC_KEYS = {
    "column",
    "value",
    "template",
    "missing",
    "pattern",
    "html_unescape",
    "map",
    "default",
    "default_column",
    "strict",
    "format",
    "split",
    "replace",
    "sections",
    "find",
    "pick",
    "classify",
    "of_group",
}
PICKS = ("first", "last", "latest")

# The sections of a mapping and the schema each section's rows are checked with.
SCHEMAS: dict[str, type[BaseModel]] = {
    "decision": DecisionScalars,
    "regulator": RegulatorCreate,
    "organisation": OrganisationCreate,
    "recommendation": RecommendationCreate,
    "assessment": AssessmentCreate,
}
# Schema fields a CSV does not give (ids of records, and the organisation's aliases, which the
# mapping sets in its own table), and the fields a mapping adds: a decision's sources (each a
# URL), lists of the decision's schema, and the roles of its regulator and organisations.
NOT_MAPPED = {"aliases"}
EXTRA_FIELDS: dict[str, dict[str, Any]] = {
    "decision": {
        "provisions": DecisionCreate.model_fields["provisions"].annotation,
        "tags": DecisionCreate.model_fields["tags"].annotation,
        "sources": list[str],
        "regulator_role": RegulatorRole,
        "organisation_role": OrganisationRole,
    }
}


def _field_types(section: str) -> dict[str, tuple[Any, bool]]:
    """Each mapped field of a section: (its annotation, whether a row must give it)."""
    schema = SCHEMAS[section]
    out = {
        name: (info.annotation, info.is_required())
        for name, info in schema.model_fields.items()
        if not name.endswith("_id") and name not in NOT_MAPPED and part_model(info.annotation) is None
    }
    return out | {name: (annotation, False) for name, annotation in EXTRA_FIELDS.get(section, {}).items()}


FIELD_TYPES = {section: _field_types(section) for section in SCHEMAS}
# The fields of each section, and which must be given.
FIELDS: dict[str, dict[str, bool]] = {
    section: {name: required for name, (_, required) in types_.items()}
    for section, types_ in FIELD_TYPES.items()
}
# Fields whose values come from a vocabulary: `classify` and `map` values are checked against
# it when the mapping is read.
VOCABULARIES: dict[tuple[str, str], type[StrEnum]] = {
    (section, name): enum
    for section, types_ in FIELD_TYPES.items()
    for name, (annotation, _) in types_.items()
    if (enum := vocabulary(annotation)) is not None
}
DATE_FIELDS = {
    name for types_ in FIELD_TYPES.values() for name, (a, _) in types_.items() if value_type(a) is dt.date
}
LIST_FIELDS = {name for types_ in FIELD_TYPES.values() for name, (a, _) in types_.items() if is_list(a)}
# Keys of a section that are settings, not field specs.
SECTION_SETTINGS = {"regulator": {"aliases"}, "organisation": {"aliases", "unnamed"}}


class RowError(ValueError):
    """A value of one row that cannot be used; the row is rejected with this reason."""


@dataclass
class Spec:
    column: str | None = None
    value: str | None = None
    template: str | None = None
    missing: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None
    html_unescape: bool = False
    map: dict[str, str] | None = None
    map_folded: dict[str, str] | None = None
    default: str | None = None
    default_column: str | None = None
    strict: bool = False
    formats: tuple[str, ...] = ()
    split: str | None = None
    replace: tuple[tuple[str, str], ...] = ()
    sections: re.Pattern[str] | None = None
    find: re.Pattern[str] | None = None
    pick: str = "last"
    classify: tuple[tuple[re.Pattern[str], str], ...] = ()
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

    def text(self, row: Mapping[str, str], name: str) -> str | None:
        text = self.raw(row)
        if text is not None and self.classify:
            text = next((value for rule, value in self.classify if rule.search(text)), None)
            if text is None:
                return self._default(row)
            if not text:
                return None  # a rule giving "" means no value
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


def _sections(pattern: re.Pattern[str], text: str) -> list[tuple[str, str]]:
    """The sections of `text`, each (its text, the date text of its heading)."""
    starts = list(pattern.finditer(text))
    if not starts:
        return [(text, "")] if text else []
    out = [(text[: starts[0].start()], "")] if text[: starts[0].start()].strip() else []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        out.append((text[match.start() : end], _found(match)[1]))
    return out


def _found(match: re.Match[str]) -> tuple[str, str]:
    """A match's value (group `value`, else group 1, else all) and its date text (group
    `date`, else the value)."""
    groups = match.groupdict()
    if groups.get("value") is not None:
        value = groups["value"]
    elif match.re.groups and "value" not in groups and match.group(1) is not None:
        value = match.group(1)
    else:
        value = match.group()
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


@dataclass
class Mapping_:
    """A parsed mapping file."""

    description: str
    encoding: str
    decode_errors: str
    repair_mojibake: bool
    delimiter: str
    group_by: tuple[str, ...]
    columns: dict[str, Spec]
    sections: dict[str, dict[str, Spec]]
    regulator_aliases: dict[str, str] = field(default_factory=dict)  # folded alias -> name
    organisation_aliases: dict[str, str] = field(default_factory=dict)
    organisation_alias_lists: dict[str, list[str]] = field(default_factory=dict)
    regulator_alias_lists: dict[str, list[str]] = field(default_factory=dict)
    unnamed: frozenset[str] = frozenset()

    def has(self, section: str) -> bool:
        return section in self.sections

    def spec(self, section: str, name: str) -> Spec | None:
        return self.sections.get(section, {}).get(name)

    def derive(self, row: dict[str, str]) -> dict[str, str]:
        """The row with its derived columns added, in the order the mapping lists them."""
        for name, spec in self.columns.items():
            row[name] = spec.text(row, name) or ""
        return row


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


def load(path: Path) -> Mapping_:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"Cannot read the mapping {path}: {exc}.", [FieldError("mapping", str(exc))]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(
            f"The mapping {path} is not valid TOML: {exc}.", [FieldError("mapping", str(exc))]
        ) from exc
    return parse(raw)


def parse(raw: dict[str, Any]) -> Mapping_:
    errors: list[FieldError] = []

    def bad(where: str, message: str) -> None:
        errors.append(FieldError(where, message))

    if raw.get("format") != FORMAT or raw.get("version") != VERSION:
        bad("format", f'a mapping starts with format = "{FORMAT}" and version = {VERSION}')
    known_top = {"format", "version", "description", "csv", "maps", "columns", *FIELDS}
    for key in raw:
        if key not in known_top:
            bad(key, "is not a part of a mapping")
    csv_cfg = raw.get("csv", {})
    encoding = str(csv_cfg.get("encoding", "utf-8")).lower()
    if encoding not in ENCODINGS:
        bad("csv.encoding", f"one of {', '.join(ENCODINGS)}")
    decode_errors = str(csv_cfg.get("errors", "strict"))
    if decode_errors not in DECODE_ERRORS:
        bad("csv.errors", f"one of {', '.join(DECODE_ERRORS)}")
    delimiter = csv_cfg.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        bad("csv.delimiter", "a single character")
    group_by = csv_cfg.get("group_by", [])
    if isinstance(group_by, str):
        group_by = [group_by]
    for key in csv_cfg:
        if key not in {"encoding", "errors", "repair_mojibake", "delimiter", "group_by"}:
            bad(f"csv.{key}", "is not a CSV setting")

    maps: dict[str, dict[str, str]] = {}
    for name, table in raw.get("maps", {}).items():
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            bad(f"maps.{name}", "a table of text values")
            continue
        maps[name] = {str(k): v for k, v in table.items()}

    def regex(where: str, pattern: Any) -> re.Pattern[str] | None:
        if not isinstance(pattern, str):
            bad(where, "a regular expression (a text)")
            return None
        try:
            return re.compile(pattern)
        except re.error as exc:
            bad(where, f"not a regular expression: {exc}")
            return None

    def classify(where: str, rules: Any) -> tuple[tuple[re.Pattern[str], str], ...]:
        if not isinstance(rules, list) or not rules:
            bad(f"{where}.classify", "a list of rules: [{ match = regular expression, value = text }, ...]")
            return ()
        out = []
        for i, rule in enumerate(rules):
            at = f"{where}.classify[{i}]"
            if not isinstance(rule, dict) or set(rule) != {"match", "value"}:
                bad(at, "a rule is { match = regular expression, value = text }")
                continue
            if not isinstance(rule["value"], str):
                bad(f"{at}.value", "a text")
                continue
            if (compiled := regex(f"{at}.match", rule["match"])) is not None:
                out.append((compiled, rule["value"]))
        return tuple(out)

    def spec(where: str, value: Any) -> Spec | None:
        if isinstance(value, str):
            value = {"column": value}
        if not isinstance(value, dict):
            bad(where, "a column name or a table such as { column = ... }")
            return None
        for key in value:
            if key not in SPEC_KEYS:
                bad(f"{where}.{key}", "is not a spec setting")
        sources = [k for k in ("column", "value", "template") if k in value]
        if len(sources) != 1:
            bad(where, "give exactly one of column, value or template")
            return None
        if "template" in value:
            problem = template_problem(value["template"])
            if problem:
                bad(f"{where}.template", problem)
                return None
        s = Spec(
            column=value.get("column"),
            value=value.get("value"),
            template=value.get("template"),
            missing=frozenset(str(m) for m in value.get("missing", [])),
            html_unescape=bool(value.get("html_unescape", False)),
            default=value.get("default"),
            default_column=value.get("default_column"),
            strict=bool(value.get("strict", False)),
            split=value.get("split"),
        )
        if "pattern" in value:
            try:
                s.pattern = re.compile(value["pattern"])
            except re.error as exc:
                bad(f"{where}.pattern", f"not a regular expression: {exc}")
        formats = value.get("format", ())
        s.formats = (formats,) if isinstance(formats, str) else tuple(formats)
        for key in ("sections", "find"):
            if key in value:
                setattr(s, key, regex(f"{where}.{key}", value[key]))
        if "pick" in value:
            if value["pick"] not in PICKS:
                bad(f"{where}.pick", f"one of {', '.join(PICKS)}")
            else:
                s.pick = value["pick"]
        if "replace" in value:
            table = value["replace"]
            if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                bad(f"{where}.replace", 'a table of texts: { "old" = "new" }')
            else:
                s.replace = tuple((str(k), v) for k, v in table.items())
        if "classify" in value:
            s.classify = classify(where, value["classify"])
        if "of_group" in value:
            if not where.startswith("decision.") or value["of_group"] not in ("min", "max"):
                bad(f"{where}.of_group", '"min" or "max", in a [decision] field')
            else:
                s.of_group = value["of_group"]
        if "map" in value:
            table = value["map"]
            if isinstance(table, str):
                if table not in maps:
                    bad(f"{where}.map", f"there is no [maps.{table}]")
                    return None
                table = maps[table]
            elif not isinstance(table, dict):
                bad(f"{where}.map", "a [maps] name or an inline table")
                return None
            s.map = {str(k): str(v) for k, v in table.items()}
            s.map_folded = {fold(k): v for k, v in s.map.items()}
        return s

    def check_vocabulary(section: str, key: str, s: Spec) -> None:
        """A classify rule (or default) giving a value the field's vocabulary lacks is refused."""
        vocabulary = VOCABULARIES.get((section, key))
        if vocabulary is None:
            return
        allowed = {v.value for v in vocabulary}
        for i, (_, value) in enumerate(s.classify):
            if value and value not in allowed:
                bad(
                    f"{section}.{key}.classify[{i}].value",
                    f'{value!r} is not a {key}; one of {", ".join(sorted(allowed))} (or "" for none)',
                )
        if s.classify and s.default and s.default not in allowed:
            bad(
                f"{section}.{key}.default",
                f"{s.default!r} is not a {key}; one of {', '.join(sorted(allowed))}",
            )

    columns = {}
    for name, value in raw.get("columns", {}).items():
        if (s := spec(f"columns.{name}", value)) is not None:
            columns[name] = s

    sections: dict[str, dict[str, Spec]] = {}
    for section, fields in FIELDS.items():
        if section not in raw:
            if section in ("decision", "regulator"):
                bad(section, "this section is needed")
            continue
        table = raw[section]
        settings = SECTION_SETTINGS.get(section, set())
        sections[section] = {}
        for key, value in table.items():
            if key in settings:
                continue
            if key not in fields:
                bad(f"{section}.{key}", f"not a field of {section}; the fields are {', '.join(fields)}")
                continue
            if (s := spec(f"{section}.{key}", value)) is not None:
                sections[section][key] = s
                check_vocabulary(section, key, s)
        for key, required in fields.items():
            if required and key not in table:
                bad(f"{section}.{key}", "this field is needed")
    if "recommendation" in sections and "organisation" not in sections:
        bad("organisation", "recommendations are addressed to the decision's organisation: map it")
    if "assessment" in sections and "recommendation" not in sections:
        bad("assessment", "an assessment belongs to a recommendation: map one")

    def aliases(section: str) -> tuple[dict[str, str], dict[str, list[str]]]:
        table = raw.get(section, {}).get("aliases", {})
        folded: dict[str, str] = {}
        lists: dict[str, list[str]] = {}
        if not isinstance(table, dict):
            bad(f"{section}.aliases", "a table: name = [other names]")
            return folded, lists
        for name, others in table.items():
            if not isinstance(others, list) or not all(isinstance(o, str) for o in others):
                bad(f"{section}.aliases.{name}", "a list of names")
                continue
            lists[name] = [o for o in others if fold(o) != fold(name)]
            for other in [name, *others]:
                folded[fold(other)] = name
        return folded, lists

    regulator_aliases, regulator_lists = aliases("regulator")
    organisation_aliases, organisation_lists = aliases("organisation")
    unnamed = raw.get("organisation", {}).get("unnamed", [])
    if errors:
        raise Invalid(
            "The mapping is not usable: " + "; ".join(f"{e.field}: {e.message}" for e in errors[:10]) + ".",
            errors,
        )
    return Mapping_(
        description=str(raw.get("description", "")),
        encoding=encoding,
        decode_errors=decode_errors,
        repair_mojibake=bool(csv_cfg.get("repair_mojibake", False)),
        delimiter=delimiter,
        group_by=tuple(group_by),
        columns=columns,
        sections=sections,
        regulator_aliases=regulator_aliases,
        regulator_alias_lists=regulator_lists,
        organisation_aliases=organisation_aliases,
        organisation_alias_lists=organisation_lists,
        unnamed=frozenset(fold(u) for u in unnamed),
    )


def _mac_roman(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("mac_roman"), error.end


codecs.register_error("findings_mac_roman", _mac_roman)


def codec_errors(mapping: "Mapping_") -> str:
    return "findings_mac_roman" if mapping.decode_errors == "mac_roman" else mapping.decode_errors


# -- Mojibake -------------------------------------------------------------------------------

# A UTF-8 lead byte then continuation bytes, each read as Windows-1252: "â€™" for U+2019.
_CP1252_CONTINUATION = (
    "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
)
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][{_CP1252_CONTINUATION}]{{1,3}}")


def _as_cp1252_bytes(text: str) -> bytes:
    """The bytes that Windows-1252 read as `text`; the five bytes it leaves undefined (0x81,
    0x8D, 0x8F, 0x90, 0x9D) come back from the control characters a decoder put for them
    (the closing quote ”, E2 80 9D, often reads as "â€" and U+009D)."""
    return b"".join(c.encode("latin-1") if "\x80" <= c <= "\x9f" else c.encode("cp1252") for c in text)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was once decoded as Windows-1252 ("donâ€™t" back to "don\u2019t").

    Each suspicious run is re-decoded on its own and kept only where it is valid UTF-8, so
    text that was right to begin with (“Zürich”) is left alone.
    """

    def fix(match: re.Match[str]) -> str:
        try:
            return _as_cp1252_bytes(match.group()).decode("utf-8")
        except UnicodeError:
            return match.group()

    return _MOJIBAKE.sub(fix, text)
