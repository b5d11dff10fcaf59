"""Mapping files: how the columns of someone else's CSV become decisions and recommendations.

Over 450 lines, 38 of them this reference, on purpose: one parser checks every key of a mapping
and reports all its problems at once. A spec's reading is in mapping_spec.py, the fields in
mapping_fields.py, the repair of mis-decoded text in mojibake.py, the split of a row made to
several parties in parties.py and the folding of one listed per party that made it in folding.py.

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
                                (`issued_on_precision = { value = "year" }` says how much of
                                the date the source gives: no finer than the format carries)
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
                                gives `default`. A rule may have a `name` and its measured
                                `precision` ("right/of"); `accept_at` and `default_precision`
                                go with them (see classify.py)
    of_group = "min"            [decision] fields: the least ("min") or greatest ("max")
                                value over the rows of the decision (its earliest date)
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import FieldError, Invalid
from app.services.exchange.csv import classify, folding, parties, patterns
from app.services.exchange.csv.mapping_fields import DATE_FIELDS, FIELDS, LIST_FIELDS, VOCABULARIES
from app.services.exchange.csv.mapping_spec import RowError, Spec, fold, precision_problems, template_problem
from app.services.exchange.csv.mojibake import MAC_ROMAN, repair_mojibake

# Kept importable from here: the spec, its error, and the text helpers.
__all__ = ["DATE_FIELDS", "FIELDS", "LIST_FIELDS", "VOCABULARIES", "Mapping_", "RowError", "Spec"]
__all__ += ["codec_errors", "fold", "load", "parse", "repair_mojibake"]

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
    "accept_at",
    "default_precision",
    "of_group",
}
PICKS = ("first", "last", "latest")
CSV_SETTINGS = {"encoding", "errors", "repair_mojibake", "delimiter", "group_by"}

# Keys of a section that are settings, not field specs.
SECTION_SETTINGS = {
    "regulator": {"aliases"},
    "organisation": {"aliases", "unnamed", "replies"},
    "recommendation": {"fold_by"},
}


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
    # The file's name without `.toml` (`taic`): it qualifies the names of its classify rules.
    name: str = ""
    # The data set the file is part of (`[dataset]`: `title`, `url`, `caveats`): named on every
    # record it makes and on /about.
    dataset: str = ""
    dataset_url: str | None = None
    caveats: tuple[str, ...] = ()
    # A row made to several parties, split into one row each (app/services/exchange/csv/parties.py).
    splitter: parties.Splitter | None = None
    # Rows of one recommendation listed once per party that made it, folded (folding.py).
    fold_by: tuple[str, ...] = ()

    def has(self, section: str) -> bool:
        return section in self.sections

    def spec(self, section: str, name: str) -> Spec | None:
        return self.sections.get(section, {}).get(name)

    def parties_of(self, row: dict[str, str]) -> list[dict[str, str]]:
        """The row, or one row per party when it is made to several (before `derive`)."""
        return [row] if self.splitter is None else self.splitter.rows(row)

    def derive(self, row: dict[str, str]) -> dict[str, str]:
        """The row with its derived columns added, in the order the mapping lists them."""
        for name, spec in self.columns.items():
            row[name] = spec.text(row, name) or ""
        return row


def load(path: Path) -> Mapping_:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"Cannot read the mapping {path}: {exc}.", [FieldError("mapping", str(exc))]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(
            f"The mapping {path} is not valid TOML: {exc}.", [FieldError("mapping", str(exc))]
        ) from exc
    mapping = parse(raw)
    mapping.name = path.stem
    return mapping


class _Parser:
    """Reads a mapping's TOML table, collecting every problem (so that all are reported at once)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.errors: list[FieldError] = []
        self.maps: dict[str, dict[str, str]] = {}

    def bad(self, where: str, message: str) -> None:
        self.errors.append(FieldError(where, message))

    def mapping(self) -> Mapping_:
        raw = self.raw
        if raw.get("format") != FORMAT or raw.get("version") != VERSION:
            self.bad("format", f'a mapping starts with format = "{FORMAT}" and version = {VERSION}')
        known_top = {"format", "version", "description", "dataset", "csv", "maps", "columns", *FIELDS}
        for key in raw:
            if key not in known_top:
                self.bad(key, "is not a part of a mapping")
        csv_cfg = raw.get("csv", {})
        encoding, decode_errors, delimiter, group_by = self.csv_settings(csv_cfg)
        self.maps = self.named_maps(raw.get("maps", {}))
        columns = {}
        for name, value in raw.get("columns", {}).items():
            if (s := self.spec(f"columns.{name}", value)) is not None:
                columns[name] = s
        sections = self.sections()
        regulator_aliases, regulator_lists = self.aliases("regulator")
        organisation_aliases, organisation_lists = self.aliases("organisation")
        unnamed = raw.get("organisation", {}).get("unnamed", [])
        dataset, dataset_url, caveats = self.dataset(raw.get("dataset", {}))
        replies = parties.parse_replies(raw.get("organisation", {}).get("replies"), self.bad, self.regex)
        name = sections.get("organisation", {}).get("name")
        parties.split_name(name, "organisation.name", self.bad, set(columns))
        fold_by = folding.parse_fold_by(raw.get("recommendation", {}).get("fold_by"), self.bad)
        if self.errors:
            raise Invalid(
                "The mapping is not usable: "
                + "; ".join(f"{e.field}: {e.message}" for e in self.errors[:10])
                + ".",
                self.errors,
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
            dataset=dataset,
            dataset_url=dataset_url,
            caveats=caveats,
            splitter=parties.Splitter(name, replies, organisation_aliases, organisation_lists)
            if name is not None and name.split is not None
            else None,
            fold_by=fold_by,
        )

    def dataset(self, table: Any) -> tuple[str, str | None, tuple[str, ...]]:
        if not isinstance(table, dict):
            self.bad("dataset", "a table (title, url, caveats)")
            return "", None, ()
        for key in table:
            if key not in ("title", "url", "caveats"):
                self.bad(f"dataset.{key}", "is not a part of a data set (title, url, caveats)")
        title, url, caveats = table.get("title", ""), table.get("url"), table.get("caveats", [])
        if not isinstance(title, str) or len(title) > 500:
            self.bad("dataset.title", "a text of at most 500 characters")
            title = ""
        if url is not None and (not isinstance(url, str) or not url.startswith(("https://", "http://"))):
            self.bad("dataset.url", "an http(s) address")
            url = None
        if not isinstance(caveats, list) or not all(isinstance(c, str) for c in caveats):
            self.bad("dataset.caveats", "a list of texts")
            caveats = []
        return title, url, tuple(caveats)

    def csv_settings(self, csv_cfg: dict[str, Any]) -> tuple[str, str, str, list[str]]:
        encoding = str(csv_cfg.get("encoding", "utf-8")).lower()
        if encoding not in ENCODINGS:
            self.bad("csv.encoding", f"one of {', '.join(ENCODINGS)}")
        decode_errors = str(csv_cfg.get("errors", "strict"))
        if decode_errors not in DECODE_ERRORS:
            self.bad("csv.errors", f"one of {', '.join(DECODE_ERRORS)}")
        delimiter = csv_cfg.get("delimiter", ",")
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            self.bad("csv.delimiter", "a single character")
        group_by = csv_cfg.get("group_by", [])
        if isinstance(group_by, str):
            group_by = [group_by]
        for key in csv_cfg:
            if key not in CSV_SETTINGS:
                self.bad(f"csv.{key}", "is not a CSV setting")
        return encoding, decode_errors, delimiter, group_by

    def named_maps(self, tables: dict[str, Any]) -> dict[str, dict[str, str]]:
        maps: dict[str, dict[str, str]] = {}
        for name, table in tables.items():
            if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                self.bad(f"maps.{name}", "a table of text values")
                continue
            maps[name] = {str(k): v for k, v in table.items()}
        return maps

    def regex(self, where: str, pattern: Any) -> patterns.Pattern | None:
        """A regular expression of the mapping, its searches bounded in time (`patterns`)."""
        if not isinstance(pattern, str):
            self.bad(where, "a regular expression (a text)")
            return None
        try:
            return patterns.compile(pattern)
        except patterns.error as exc:
            self.bad(where, f"not a regular expression: {exc}")
            return None

    def classify_rules(self, where: str, value: dict[str, Any], s: Spec) -> None:
        """The `classify` rules with their measured precision, `accept_at` and `default_precision`."""
        s.classify = classify.parse_rules(where, value["classify"], self.bad, self.regex)
        accept_at = value.get("accept_at")
        if accept_at is not None:
            if (
                isinstance(accept_at, bool)
                or not isinstance(accept_at, int | float)
                or not 0 < accept_at <= 1
            ):
                self.bad(f"{where}.accept_at", "a precision above 0 and at most 1 (0.95)")
            else:
                s.accept_at = float(accept_at)
        if "default_precision" in value:
            s.default_precision = classify.parse_precision(value["default_precision"])
            if s.default_precision is None:
                self.bad(f"{where}.default_precision", 'the measured precision as "right/of"')
        classify.check_measured(where, s.classify, s.accept_at, s.default, s.default_precision, self.bad)

    def spec(self, where: str, value: Any) -> Spec | None:
        """One field's spec, or None when it is unusable (the reason is recorded)."""
        if isinstance(value, str):
            value = {"column": value}
        if not isinstance(value, dict):
            self.bad(where, "a column name or a table such as { column = ... }")
            return None
        for key in value:
            if key not in SPEC_KEYS:
                self.bad(f"{where}.{key}", "is not a spec setting")
        if len([k for k in ("column", "value", "template") if k in value]) != 1:
            self.bad(where, "give exactly one of column, value or template")
            return None
        if "template" in value and (problem := template_problem(value["template"])):
            self.bad(f"{where}.template", problem)
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
        self.matching(where, value, s)
        self.cleaning(where, value, s)
        return s if self.lookup(where, value, s) else None

    def matching(self, where: str, value: dict[str, Any], s: Spec) -> None:
        """The regular-expression settings: pattern, sections, find, pick, classify."""
        if "pattern" in value:
            s.pattern = self.regex(f"{where}.pattern", value["pattern"])
        for key in ("sections", "find"):
            if key in value:
                setattr(s, key, self.regex(f"{where}.{key}", value[key]))
        if "pick" in value:
            if value["pick"] not in PICKS:
                self.bad(f"{where}.pick", f"one of {', '.join(PICKS)}")
            else:
                s.pick = value["pick"]
        if "classify" in value:
            self.classify_rules(where, value, s)
        elif "accept_at" in value or "default_precision" in value:
            self.bad(where, "accept_at and default_precision go with classify")

    def cleaning(self, where: str, value: dict[str, Any], s: Spec) -> None:
        """The settings that shape the value: format, replace, of_group."""
        formats = value.get("format", ())
        s.formats = (formats,) if isinstance(formats, str) else tuple(formats)
        if "replace" in value:
            table = value["replace"]
            if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                self.bad(f"{where}.replace", 'a table of texts: { "old" = "new" }')
            else:
                s.replace = tuple((str(k), v) for k, v in table.items())
        if "of_group" in value:
            if not where.startswith("decision.") or value["of_group"] not in ("min", "max"):
                self.bad(f"{where}.of_group", '"min" or "max", in a [decision] field')
            else:
                s.of_group = value["of_group"]

    def lookup(self, where: str, value: dict[str, Any], s: Spec) -> bool:
        """The spec's `map` (a [maps] name or an inline table); False when it is unusable."""
        if "map" not in value:
            return True
        table = value["map"]
        if isinstance(table, str):
            if table not in self.maps:
                self.bad(f"{where}.map", f"there is no [maps.{table}]")
                return False
            table = self.maps[table]
        elif not isinstance(table, dict):
            self.bad(f"{where}.map", "a [maps] name or an inline table")
            return False
        s.map = {str(k): str(v) for k, v in table.items()}
        s.map_folded = {fold(k): v for k, v in s.map.items()}
        return True

    def check_vocabulary(self, section: str, key: str, s: Spec) -> None:
        """A classify rule (or default) giving a value the field's vocabulary lacks is refused."""
        vocabulary = VOCABULARIES.get((section, key))
        if vocabulary is None:
            return
        allowed = {v.value for v in vocabulary}
        for i, value in enumerate(rule.value for rule in s.classify):
            if value and value not in allowed:
                self.bad(
                    f"{section}.{key}.classify[{i}].value",
                    f'{value!r} is not a {key}; one of {", ".join(sorted(allowed))} (or "" for none)',
                )
        if s.classify and s.default and s.default not in allowed:
            self.bad(
                f"{section}.{key}.default",
                f"{s.default!r} is not a {key}; one of {', '.join(sorted(allowed))}",
            )

    def sections(self) -> dict[str, dict[str, Spec]]:
        sections: dict[str, dict[str, Spec]] = {}
        for section, fields in FIELDS.items():
            if section not in self.raw:
                if section in ("decision", "regulator"):
                    self.bad(section, "this section is needed")
                continue
            table = self.raw[section]
            settings = SECTION_SETTINGS.get(section, set())
            sections[section] = {}
            for key, value in table.items():
                if key in settings:
                    continue
                if key not in fields:
                    self.bad(
                        f"{section}.{key}", f"not a field of {section}; the fields are {', '.join(fields)}"
                    )
                    continue
                if (s := self.spec(f"{section}.{key}", value)) is not None:
                    sections[section][key] = s
                    self.check_vocabulary(section, key, s)
            for key, required in fields.items():
                if required and key not in table:
                    self.bad(f"{section}.{key}", "this field is needed")
            for where, problem in precision_problems(section, sections[section]):
                self.bad(where, problem)
        if "recommendation" in sections and "organisation" not in sections:
            self.bad("organisation", "recommendations are addressed to the decision's organisation: map it")
        for section in ("assessment", "recommended_by"):
            if section in sections and "recommendation" not in sections:
                self.bad(section, f"{section.replace('_', ' ')} belongs to a recommendation: map one")
        return sections

    def aliases(self, section: str) -> tuple[dict[str, str], dict[str, list[str]]]:
        table = self.raw.get(section, {}).get("aliases", {})
        folded: dict[str, str] = {}
        lists: dict[str, list[str]] = {}
        if not isinstance(table, dict):
            self.bad(f"{section}.aliases", "a table: name = [other names]")
            return folded, lists
        for name, others in table.items():
            if not isinstance(others, list) or not all(isinstance(o, str) for o in others):
                self.bad(f"{section}.aliases.{name}", "a list of names")
                continue
            lists[name] = [o for o in others if fold(o) != fold(name)]
            for other in [name, *others]:
                folded[fold(other)] = name
        return folded, lists


def parse(raw: dict[str, Any]) -> Mapping_:
    """A mapping from its TOML table; `Invalid` naming every problem when it is not usable."""
    return _Parser(raw).mapping()


def codec_errors(mapping: "Mapping_") -> str:
    return MAC_ROMAN if mapping.decode_errors == "mac_roman" else mapping.decode_errors
