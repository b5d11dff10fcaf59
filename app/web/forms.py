"""Between HTML forms and the schemas: list queries from the address, record forms as
flat values (kept as typed, to show again beside their errors), and error messages by field.

A form field is named by its path in the schema (`regulators.0.role`), the same path the
schemas' and services' errors name, so each error lands beside its field.
"""

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app import labels
from app.errors import FieldError
from app.schemas.common import PATTERN_MESSAGES, Country, DbId, Jurisdiction, Tag
from app.schemas.filters import DecisionFilter, RecommendationFilter
from app.services import cases, decisions, organisations, recommendations, regulators
from app.vocab import OrganisationKind, RegulatorKind

# -- Errors --------------------------------------------------------------------------


def _message(err: Mapping[str, Any]) -> str:
    if err.get("type") == "missing" or (err.get("input") is None and err.get("type") != "value_error"):
        return "is required"
    if err.get("type") == "extra_forbidden":
        return "is not a field of this form"
    if err.get("type") in ("enum", "literal_error"):
        # "Input should be 'none', 'pending' or ..." in words: the labels of the codes.
        codes = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        if tuple(err.get("loc", ())) == ("sort",):
            orders = SORT_LABELS | decisions.SORT_LABELS | recommendations.SORT_LABELS
            return "should be one of the orders: " + "; ".join(orders.get(c, c) for c in codes)
        return "should be " + labels.in_words(codes) if codes else "is not one of the choices"
    if err.get("type") == "string_pattern_mismatch":
        pattern = str((err.get("ctx") or {}).get("pattern", ""))
        return PATTERN_MESSAGES.get(pattern, "is not in the expected form")
    return str(err.get("msg", "is invalid")).removeprefix("Value error, ")


def errors_of(exc: ValidationError | Iterable[FieldError]) -> dict[str, str]:
    """Messages by field path; a message about the whole form is under ''."""
    out: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for err in exc.errors():
            out.setdefault(".".join(str(p) for p in err.get("loc", ())), _message(err))
        return out
    for e in exc:
        out.setdefault(e.field.removeprefix("body.").removeprefix("query."), e.message)
    return out


# -- List queries ----------------------------------------------------------------------


class ListQuery(BaseModel):
    """The query of a list page; blank fields (as an HTML form sends them) mean "any"."""

    model_config = ConfigDict(extra="ignore")

    as_of: dt.date | None = None
    q: str | None = Field(default=None, max_length=500)
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=50, ge=1, le=500)

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for the service's `list_`."""
        return self.model_dump()

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> "tuple[Any, dict[str, str]]":
        """The query, or the defaults and the errors when some field is bad."""
        try:
            return cls.model_validate(dict(params)), {}
        except ValidationError as exc:
            return cls(), errors_of(exc)


def _sorts(service: Any) -> Any:
    return Literal[tuple(service.SORTS)]  # type: ignore[valid-type]


class DecisionQuery(ListQuery, DecisionFilter):
    """The decisions page's query: the list's filters (one model with the API's), and its page."""

    sort: _sorts(decisions) = "-issued_on"  # type: ignore[valid-type]

    def filter(self) -> DecisionFilter:
        return DecisionFilter.model_validate(self.model_dump(include=set(DecisionFilter.model_fields)))


class RecommendationQuery(ListQuery, RecommendationFilter):
    sort: _sorts(recommendations) = "id"  # type: ignore[valid-type]

    def filter(self) -> RecommendationFilter:
        return RecommendationFilter.model_validate(
            self.model_dump(include=set(RecommendationFilter.model_fields))
        )


class OrganisationQuery(ListQuery):
    kind: OrganisationKind | None = None
    country: Country | None = None
    parent_id: DbId | None = None
    sort: _sorts(organisations) = "name"  # type: ignore[valid-type]


class RegulatorQuery(ListQuery):
    jurisdiction: Jurisdiction | None = None
    kind: RegulatorKind | None = None
    sort: _sorts(regulators) = "name"  # type: ignore[valid-type]


class CaseQuery(ListQuery):
    tag: Tag | None = None
    sort: _sorts(cases) = "title"  # type: ignore[valid-type]


SORT_LABELS = {
    "name": "Name A to Z",
    "-name": "Name Z to A",
    "title": "Title A to Z",
    "-title": "Title Z to A",
    "id": "First added first",
    "-id": "Last added first",
}


def sort_choices(service: Any) -> list[tuple[str, str]]:
    names = SORT_LABELS | getattr(service, "SORT_LABELS", {})
    return [(key, names.get(key, key)) for key in service.SORTS]


# -- Record forms --------------------------------------------------------------------

# Repeated rows of the decision form, the field that makes a row count, and its fields.
ROWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "regulators": ("regulator_id", ("regulator_id", "role")),
    "organisations": ("organisation_id", ("organisation_id", "role")),
    "findings": ("text", ("text", "provision", "organisation_id", "outcome")),
    "sources": ("url", ("url", "title", "publisher", "published_on")),
    "related": ("decision_id", ("decision_id", "relation")),
}
# Fields typed one item a line.
LINES = ("aliases", "provisions", "tags")
SCALARS = {
    "regulator": ("name", "short_name", "jurisdiction", "kind", "website"),
    "organisation": ("name", "aliases", "parent_id", "kind", "country", "website"),
    "case": ("title", "summary", "tags"),
    "decision": (
        "reference",
        "title",
        "kind",
        "issued_on",
        "summary",
        "case_id",
        "penalty_amount",
        "penalty_currency",
        "provisions",
        "tags",
    ),
    "recommendation": ("decision_id", "organisation_id", "text", "kind", "due_on"),
    "assessment": (
        "status",
        "assessed_on",
        "asserted_by",
        "note",
        "source_url",
        "source_title",
        "source_quote",
    ),
}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


ROW_FIELD = re.compile(r"^(?P<name>[a-z]+)\.(?P<index>\d{1,3})\.(?P<field>[a-z_]+)$")
# Fields whose text makes a row count; a row with only its selects left at their defaults is blank.
TYPED = ("text", "title", "provision", "publisher")


def values_from_form(form: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The form as typed: strings, and for a decision its rows (wholly blank rows left out)."""
    values: dict[str, Any] = {name: _text(form.get(name)) for name in SCALARS[kind]}
    if kind != "decision":
        return values
    indexes: dict[str, set[int]] = {name: set() for name in ROWS}
    for field_name in form:
        found = ROW_FIELD.match(field_name)
        if found and found["name"] in ROWS:
            indexes[found["name"]].add(int(found["index"]))
    for name, (key, fields) in ROWS.items():
        rows = []
        for i in sorted(indexes[name]):
            row = {f: _text(form.get(f"{name}.{i}.{f}")).strip() for f in fields}
            if any(row[f] for f in fields if f == key or f in TYPED):
                rows.append(row)
        values[name] = rows
    return values


def _blank_none(value: str) -> str | None:
    return value if value.strip() else None


def payload(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values as the schema's input: blank is None, line lists split, blank rows gone."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in LINES:
            out[name] = [line.strip() for line in value.splitlines() if line.strip()]
        elif name in ROWS:
            out[name] = [
                {f: _blank_none(v) for f, v in row.items() if _blank_none(v) is not None} for row in value
            ]
        else:
            out[name] = _blank_none(value)
    return out


def for_create(values: Mapping[str, Any]) -> dict[str, Any]:
    """For a create: leave blank fields out, so the schema's defaults apply."""
    return {k: v for k, v in payload(values).items() if v is not None}


def values_from_read(read: BaseModel, kind: str) -> dict[str, Any]:
    """A record as form values, to fill its edit form."""
    data = read.model_dump(mode="json")
    values: dict[str, Any] = {}
    for name in SCALARS[kind]:
        value = data.get(name)
        if name in LINES:
            values[name] = "\n".join(value or [])
        else:
            values[name] = "" if value is None else str(value)
    if kind == "decision":
        for name, (_, fields) in ROWS.items():
            values[name] = [
                {f: "" if row.get(f) is None else str(row.get(f)) for f in fields} for row in data[name]
            ]
    return values
