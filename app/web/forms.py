"""Between HTML forms and the schemas: list queries from the address, record forms as
flat values (kept as typed, to show again beside their errors), and error messages by field.

A form field is named by its path in the schema (`regulators.0.role`), the same path the
schemas' and services' errors name, so each error lands beside its field.
"""

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app import labels
from app.errors import FieldError, Invalid
from app.labels import N_, gettext
from app.schemas.case import CaseCreate
from app.schemas.common import PATTERN_MESSAGES
from app.schemas.decision import DecisionCreate
from app.schemas.fields import is_list, own_fields, part_model
from app.schemas.filters import (
    CaseFilter,
    DecisionFilter,
    OrganisationFilter,
    RecommendationFilter,
    RegulatorFilter,
)
from app.schemas.organisation import OrganisationCreate
from app.schemas.recommendation import AssessmentCreate, RecommendationCreate
from app.schemas.regulator import RegulatorCreate
from app.services.record import organisations
from app.services.record.suggest import NotResolved, SuggestKind, display, labels_of, resolve
from app.vocab import (
    SORT_ORDERS,
    CaseSort,
    DecisionSort,
    OrganisationSort,
    RecommendationSort,
    RegulatorSort,
)

F = TypeVar("F", bound=BaseModel)

# -- Errors --------------------------------------------------------------------------


# Pydantic's messages in plain words, by error type ("overdue: should be yes or no" rather than
# "Input should be a valid boolean, unable to interpret input").
PLAIN_MESSAGES = {
    "bool_parsing": N_("should be yes or no (true or false)"),
    "bool_type": N_("should be yes or no (true or false)"),
    "int_parsing": N_("should be a whole number"),
    "int_from_float": N_("should be a whole number"),
    "float_parsing": N_("should be a number"),
    "decimal_parsing": N_("should be a number"),
    "date_parsing": N_("should be a date, as YYYY-MM-DD"),
    "date_from_datetime_parsing": N_("should be a date, as YYYY-MM-DD"),
    "datetime_parsing": N_("should be a date and time, as YYYY-MM-DDTHH:MM"),
    "datetime_from_date_parsing": N_("should be a date and time, as YYYY-MM-DDTHH:MM"),
    "greater_than_equal": N_("should be {ge} or more"),
    "greater_than": N_("should be more than {gt}"),
    "less_than_equal": N_("should be {le} or less"),
    "less_than": N_("should be less than {lt}"),
    "string_too_long": N_("should be at most {max_length} characters"),
    "string_too_short": N_("should be at least {min_length} characters"),
}


NOT_IN_FORM = N_("is not in the expected form")
INVALID = N_("is invalid")


def _message(err: Mapping[str, Any]) -> str:
    if err.get("type") == "missing" or (err.get("input") is None and err.get("type") != "value_error"):
        return gettext("is required")
    if err.get("type") == "extra_forbidden":
        return gettext("is not a field of this form")
    if err.get("type") in ("enum", "literal_error"):
        # "Input should be 'none', 'pending' or ..." in words: the labels of the codes.
        codes = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        if tuple(err.get("loc", ())) == ("sort",):
            orders = {order.value: labels.label(order) for sorts in SORT_ORDERS for order in sorts}
            return gettext("should be one of the orders: %(orders)s") % {
                "orders": "; ".join(orders.get(c, c) for c in codes)
            }
        if codes:
            return gettext("should be %(choices)s") % {"choices": labels.in_words(codes)}
        return gettext("is not one of the choices")
    kind, ctx = err.get("type"), err.get("ctx") or {}
    if kind in PLAIN_MESSAGES:
        return gettext(PLAIN_MESSAGES[kind]).format(
            **{k: v for k, v in ctx.items() if isinstance(v, str | int | float)}
        )
    if err.get("type") == "string_pattern_mismatch":
        pattern = str((err.get("ctx") or {}).get("pattern", ""))
        return gettext(PATTERN_MESSAGES.get(pattern, NOT_IN_FORM))
    return gettext(str(err.get("msg", INVALID)).removeprefix("Value error, "))


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

# List filters that name a record: chosen by typing (a name, alias or id, or `Name (#12)` as
# the suggestions write it), never from a dropdown of every record.
LIST_CHOOSERS: dict[str, SuggestKind] = {
    "regulator_id": SuggestKind.regulator,
    "organisation_id": SuggestKind.organisation,
    "recommended_by": SuggestKind.organisation,
    "parent_id": SuggestKind.organisation,
    "case_id": SuggestKind.case,
    "decision_id": SuggestKind.decision,
}


def resolve_list_choices(
    session: Any, params: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The list's query with each typed choice replaced by the id it names; the messages of the
    choices that name no single record (by field); and how each chosen record is shown in its
    field (`Name (#12)`)."""
    values = dict(params)
    errors: dict[str, str] = {}
    chosen: dict[str, str] = {}
    for key, kind in LIST_CHOOSERS.items():
        typed = values.get(key, "").strip()
        if not typed:
            continue
        if not (typed.isdigit() and len(typed) < 19):
            try:
                values[key] = str(resolve(session, kind=kind, typed=typed))
            except NotResolved as exc:
                hint = f" Did you mean: {'; '.join(exc.near)}?" if exc.near else ""
                errors[key] = f"{exc.message}.{hint} Type a name or an id."
                values.pop(key)
                continue
        label = labels_of(session, kind=kind, ids=[int(values[key])]).get(int(values[key]))
        chosen[key] = display(label, int(values[key])) if label is not None else values[key]
    return values, errors, chosen


class BlanksMeanAny(BaseModel):
    """A page's query: blank fields (as an HTML form sends them) mean "any"."""

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data


class ListQuery(BlanksMeanAny):
    """The query of a list page."""

    model_config = ConfigDict(extra="ignore")

    as_of: dt.date | None = None
    q: str | None = Field(default=None, max_length=500)
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=50, ge=1, le=500)

    @classmethod
    def orders(cls) -> type[StrEnum]:
        """The list's vocabulary of orders: the type of its `sort`."""
        orders = cls.model_fields["sort"].annotation
        assert isinstance(orders, type) and issubclass(orders, StrEnum), f"{cls.__name__} has no orders"
        return orders

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> "tuple[Any, dict[str, str]]":
        """The query, or the defaults and the errors when some field is bad."""
        try:
            return cls.model_validate(dict(params)), {}
        except ValidationError as exc:
            return cls(), errors_of(exc)


def _part(query: BaseModel, model: type[F]) -> F:
    """The list's filters out of its page query (which adds the order and the page)."""
    return model.model_validate(query.model_dump(include=set(model.model_fields)))


class DecisionQuery(ListQuery, DecisionFilter):
    """The decisions page's query: the list's filters (one model with the API's), and its page."""

    sort: DecisionSort = DecisionSort.issued_on_desc

    def filter(self) -> DecisionFilter:
        return _part(self, DecisionFilter)


class RecommendationQuery(ListQuery, RecommendationFilter):
    sort: RecommendationSort = RecommendationSort.id_asc

    def filter(self) -> RecommendationFilter:
        return _part(self, RecommendationFilter)


class OrganisationQuery(ListQuery, OrganisationFilter):
    sort: OrganisationSort = OrganisationSort.name_asc

    def filter(self) -> OrganisationFilter:
        return _part(self, OrganisationFilter)


class RegulatorQuery(ListQuery, RegulatorFilter):
    sort: RegulatorSort = RegulatorSort.name_asc

    def filter(self) -> RegulatorFilter:
        return _part(self, RegulatorFilter)


class CaseQuery(ListQuery, CaseFilter):
    sort: CaseSort = CaseSort.title_asc

    def filter(self) -> CaseFilter:
        return _part(self, CaseFilter)


def sort_choices(orders: type[StrEnum]) -> list[tuple[str, str]]:
    """A list's orders as (code, label) options."""
    return [(order.value, labels.label(order)) for order in orders]


# -- Record forms --------------------------------------------------------------------

# The schema each record form fills: its fields are the schema's own fields (the lists of
# parts aside), so a field added to the schema is a field of the form.
SCHEMAS: dict[str, type[BaseModel]] = {
    "regulator": RegulatorCreate,
    "organisation": OrganisationCreate,
    "case": CaseCreate,
    "decision": DecisionCreate,
    "recommendation": RecommendationCreate,
    "assessment": AssessmentCreate,
}
SCALARS = {kind: tuple(own_fields(schema)) for kind, schema in SCHEMAS.items()}
# Fields typed one item a line: the schemas' lists of plain values.
LINES = tuple(
    dict.fromkeys(
        name
        for schema in SCHEMAS.values()
        for name, info in schema.model_fields.items()
        if is_list(info.annotation) and part_model(info.annotation) is None
    )
)
# Repeated rows of the decision form: the field that makes a row count, and the row's fields
# (its part's schema's, and for a party the "add it as a new organisation" box `create`).
ROW_KEYS = {
    "regulators": "regulator_id",
    "organisations": "organisation_id",
    "findings": "text",
    "sources": "url",
    "related": "decision_id",
}
ROW_EXTRAS = {"organisations": ("create",)}


def _row_fields(name: str) -> tuple[str, ...]:
    part = part_model(DecisionCreate.model_fields[name].annotation)
    assert part is not None, name
    return (*part.model_fields, *ROW_EXTRAS.get(name, ()))


ROWS: dict[str, tuple[str, tuple[str, ...]]] = {
    name: (key, _row_fields(name)) for name, key in ROW_KEYS.items()
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


def _defaulted(kind: str) -> frozenset[str]:
    """The fields of a form whose schema gives them a default other than none (a language, a
    date's precision): blank in an edit, they keep their value rather than being cleared."""
    fields = SCHEMAS[kind].model_fields
    return frozenset(
        name
        for name in SCALARS[kind]
        if not fields[name].is_required() and fields[name].get_default(call_default_factory=True) is not None
    )


DEFAULTED = {kind: _defaulted(kind) for kind in SCHEMAS}


def for_update(values: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """For an edit: blank is none (a field cleared), but a field with a default left blank
    (or absent from the form sent) keeps its value."""
    keep = DEFAULTED[kind]
    return {k: v for k, v in payload(values).items() if v is not None or k not in keep}


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


# -- Choosers: records chosen by typing (see app/services/record/suggest.py) -----------------------

# Per form: its chooser fields (a scalar, or (rows, field) for a decision's rows) and what they choose.
CHOOSERS: dict[str, dict[str | tuple[str, str], SuggestKind]] = {
    "decision": {
        "case_id": SuggestKind.case,
        ("regulators", "regulator_id"): SuggestKind.regulator,
        ("organisations", "organisation_id"): SuggestKind.organisation,
        ("findings", "organisation_id"): SuggestKind.organisation,
        ("related", "decision_id"): SuggestKind.decision,
    },
    "recommendation": {"decision_id": SuggestKind.decision, "organisation_id": SuggestKind.organisation},
    "organisation": {"parent_id": SuggestKind.organisation},
}


def _chooser_slots(kind: str, data: dict[str, Any]) -> list[tuple[str, dict[str, Any], str, SuggestKind]]:
    """(error path, the dict holding the value, its key, what it chooses) for each chooser."""
    slots = []
    for key, choose in CHOOSERS.get(kind, {}).items():
        if isinstance(key, str):
            slots.append((key, data, key, choose))
            continue
        rows, field = key
        for i, row in enumerate(data.get(rows) or []):
            slots.append((f"{rows}.{i}.{field}", row, field, choose))
    return slots


def resolve_choices(session: Any, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Replace what was typed in each chooser by the id it names, in place (the schemas then
    check the rest). A party typed with its "new" box ticked that names no organisation is
    created, in the same transaction. Unresolved choices are refused with near matches."""
    errors = []
    for path, holder, key, choose in _chooser_slots(kind, data):
        create = holder.pop("create", None) if key == "organisation_id" and kind == "decision" else None
        typed = holder.get(key)
        if not isinstance(typed, str):
            continue
        try:
            holder[key] = resolve(session, kind=choose, typed=typed)
        except NotResolved as exc:
            if create and path.startswith("organisations.") and not exc.ambiguous:
                try:
                    new = organisations.create(session, data=OrganisationCreate(name=typed.strip()))
                except ValidationError:
                    errors.append(FieldError(path, "is not a valid organisation name (1 to 300 characters)"))
                    continue
                holder[key] = new.id
                continue
            hint = f" Did you mean: {'; '.join(exc.near)}?" if exc.near else ""
            how = " Type a name or an id" + (
                ", or tick “new” to add it to the record." if path.startswith("organisations.") else "."
            )
            errors.append(FieldError(path, f"{exc.message}.{hint}{how}"))
    if errors:
        raise Invalid("Some choices name no single record; see the fields below.", errors)
    return data


def display_choices(session: Any, kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """The form's values with each chosen id written as its label (`Name (#12)`); anything else
    (what a user typed) is kept as it is."""
    values = {k: ([dict(r) for r in v] if isinstance(v, list) else v) for k, v in values.items()}
    slots = _chooser_slots(kind, values)
    wanted: dict[SuggestKind, set[int]] = {}
    for _, holder, key, choose in slots:
        raw = holder.get(key)
        if isinstance(raw, str) and raw.isdigit() and len(raw) < 19:
            wanted.setdefault(choose, set()).add(int(raw))
    labels = {choose: labels_of(session, kind=choose, ids=ids) for choose, ids in wanted.items()}
    for _, holder, key, choose in slots:
        raw = holder.get(key)
        if isinstance(raw, str) and raw.isdigit() and len(raw) < 19 and int(raw) in labels.get(choose, {}):
            holder[key] = display(labels[choose][int(raw)], int(raw))
    return values
