"""Dates as precise as their source: a decision's `issued_on` and an assessment's
`assessed_on` carry a precision (`day`, `month`, `year`: `DatePrecision`).

A date is kept, and read, as the first day of what is known: 2013 (`year`) as `2013-01-01`,
February 2021 (`month`) as `2021-02-01`. It is sent as much of the ISO date as is known —
`"2013"`, `"2013-02"` or `"2013-02-17"` — with its precision beside it
(`"issued_on_precision": "year"`), or without it: the form of the value then gives it. A full
date may be sent with a coarser precision when it is the first day of that month or year (as
the API reads it back). Anything else is refused, naming the date: a precision finer than the
value (`"2013"` as `day`), a partial value that is not the form of its precision (`"2013-02"`
as `year`), a full date within its month or year (`"2013-05-17"` as `year`).

Reads `as_of` a date count a partial date from its first day (the record holds that 2013
review as of 2013-01-01), as every rule of app/services/compliance.py reads the kept date.
"""

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError, WithJsonSchema
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.schemas.common import DAY_PATTERN, _iso_date
from app.vocab import DatePrecision

# How fine each precision is: a coarser one has a higher rank.
RANK = {DatePrecision.day: 0, DatePrecision.month: 1, DatePrecision.year: 2}
# The form of a value sent with each precision.
FORMS = {
    DatePrecision.year: re.compile(r"[0-9]{4}"),
    DatePrecision.month: re.compile(r"[0-9]{4}-[0-9]{2}"),
    DatePrecision.day: re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
}
SHAPES = {DatePrecision.year: "YYYY", DatePrecision.month: "YYYY-MM", DatePrecision.day: "YYYY-MM-DD"}


def start_of(day: dt.date, precision: DatePrecision | str) -> dt.date:
    """The first day of the month or year of `day` (the day itself for `day`)."""
    precision = DatePrecision(precision)
    if precision is DatePrecision.year:
        return day.replace(month=1, day=1)
    if precision is DatePrecision.month:
        return day.replace(day=1)
    return day


def is_start(day: dt.date, precision: DatePrecision | str) -> bool:
    return start_of(day, precision) == day


def form_of(text: str) -> DatePrecision | None:
    """The precision a value's form gives (`"2013"` a year), or None for no date form."""
    return next((p for p, form in FORMS.items() if form.fullmatch(text)), None)


def finer_than_carried(wanted: DatePrecision | str, carried: DatePrecision | str) -> bool:
    return RANK[DatePrecision(wanted)] < RANK[DatePrecision(carried)]


def not_start(value: object, precision: DatePrecision) -> str:
    return (
        f"{value} is not the first day of its {precision.value}: a {precision.value}-precision "
        f"date is sent as {SHAPES[precision]} (or as the first day of its {precision.value})"
    )


def _problem(raw: Any, given: Any) -> tuple[str | None, Any, DatePrecision | None]:
    """(why the pair is refused or None, the value to validate, its precision); the precision
    None leaves the pair to the field validators (a value or precision of no known form)."""
    try:
        precision = DatePrecision(given) if given is not None else None
    except ValueError:
        return None, raw, None
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        precision = precision or DatePrecision.day
        return (None if is_start(raw, precision) else not_start(raw, precision)), raw, precision
    if not isinstance(raw, str) or (form := form_of(raw)) is None:
        return None, raw, None
    precision = precision or form
    if finer_than_carried(precision, form):
        return f"{raw!r} gives only a {form.value}: it cannot have the precision {precision.value}", raw, None
    if form is DatePrecision.day:
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            return None, raw, None  # the field says what is wrong with it
        return (None if is_start(day, precision) else not_start(raw, precision)), raw, precision
    if form is not precision:
        return f"a {precision.value}-precision date is sent as {SHAPES[precision]}, not {raw!r}", raw, None
    return None, raw + ("-01-01" if form is DatePrecision.year else "-01"), precision


def precise(data: Any, pairs: tuple[tuple[str, str], ...], title: str) -> Any:
    """A body's dates with their precisions (a model's `mode="before"` validator): each partial
    value read as its first day and its precision set (from the value's form when not sent);
    a pair that cannot go together refused, naming the date."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    errors: list[InitErrorDetails] = []
    for date_field, precision_field in pairs:
        if out.get(date_field) is None:
            continue
        problem, value, precision = _problem(out[date_field], out.get(precision_field))
        if problem is not None:
            errors.append(
                InitErrorDetails(
                    type=PydanticCustomError("date_precision", problem),
                    loc=(date_field,),
                    input=out[date_field],
                )
            )
        elif precision is not None:
            out[date_field] = value
            out[precision_field] = precision.value
    if errors:
        raise ValidationError.from_exception_data(title, errors)
    return out


# A date of the record sent as much of it as is known (years 1800 to 2999): read as its first
# day by `precise`, which the models with such a date run before their fields.
PartialDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    Field(ge=dt.date(1800, 1, 1), le=dt.date(2999, 12, 31)),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date", "pattern": DAY_PATTERN},
                {"type": "string", "pattern": r"^(1[89][0-9]{2}|2[0-9]{3})(-(0[1-9]|1[0-2]))?$"},
            ]
        }
    ),
]
