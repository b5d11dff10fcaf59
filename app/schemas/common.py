"""Field types and base models shared by every schema."""

import datetime as dt
import math
import re
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    computed_field,
)

from app.labels import N_
from app.services.compliance import complied_share
from app.vocab import Status

# Ids stay within the integers every JSON client reads exactly (2**53 - 1).
MAX_ID = 2**53 - 1

DbId = Annotated[int, Field(ge=1, le=MAX_ID, description="An integer id.")]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# The same rules as the validators below, in the OpenAPI description (so that a client, or a
# fuzzer, can tell valid input from invalid): no NUL, and not blank. Whitespace is spelled out
# (what Python's str.strip() removes) rather than `\s`, which means different characters in
# ECMAScript (JSON Schema's regexes), Python and Rust (pydantic's).
WHITESPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"
NO_NUL = r"^[^\x00]*$"
# Invisible format characters (Unicode category Cf in the Basic Multilingual Plane): the soft
# hyphen, zero-width spaces and joiners, direction marks and overrides, the byte-order mark...
FORMAT_CHARACTERS = (
    r"\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
# A web address: no control character (C0, DEL, C1), no white space, no format character.
URL_PATTERN = rf"^https?://[^\x00-\x20\x7f-\x9f{WHITESPACE}{FORMAT_CHARACTERS}]+$"


def _strip(value: str) -> str:
    return value.strip()


S = TypeVar("S", bound=str)

# Text checked as sent (its length and pattern, given inside: `Stripped[Annotated[str, sent(300)]]`),
# then stripped of leading and trailing white space (the schema's `maxLength` counts what is sent).
Stripped = Annotated[
    S,
    AfterValidator(_no_nul),
    AfterValidator(_strip),
    Field(description="Leading and trailing white space is removed."),
]


def sent(max_length: int, min_length: int = 1) -> StringConstraints:
    """The length and pattern of a text as sent: without NUL characters, and not blank unless
    it may be empty (`min_length=0`)."""
    return StringConstraints(
        min_length=min_length,
        max_length=max_length,
        pattern=NOT_BLANK if min_length else NO_NUL,
    )


Name = Stripped[Annotated[str, sent(300)]]
Title = Stripped[Annotated[str, sent(500)]]
LongText = Stripped[Annotated[str, sent(50_000)]]
Tag = Stripped[Annotated[str, sent(100)]]
ShortName = Stripped[Annotated[str, sent(100)]]
Provision = Stripped[Annotated[str, sent(300)]]
JURISDICTION_PATTERN = r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"

# What each pattern asks for, in words (the pages show these beside the field).
PATTERN_MESSAGES = {
    NOT_BLANK: N_("must not be blank"),
    NO_NUL: N_("must not contain NUL characters"),
    URL_PATTERN: N_("must be a web address starting with http:// or https://"),
    JURISDICTION_PATTERN: N_("must be a country code such as CA, or a subdivision such as CA-BC"),
    COUNTRY_PATTERN: N_("must be a two-letter country code such as CA"),
    CURRENCY_PATTERN: N_("must be a three-letter currency code such as EUR"),
}

Url = Annotated[
    str,
    # No stripping: the pattern (no white space) is checked on what is sent.
    StringConstraints(max_length=2000, pattern=URL_PATTERN),
    AfterValidator(_no_nul),
]


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _code_field(pattern: str, what: str) -> Any:
    """The description and the schema's pattern of a code (taken in any case)."""
    return Field(description=what, json_schema_extra={"pattern": pattern.replace("A-Z", "A-Za-z")})


# Upper-case codes such as a country, a subdivision or a currency (taken in any case).
Jurisdiction = Annotated[
    str,
    BeforeValidator(_upper),
    StringConstraints(pattern=JURISDICTION_PATTERN),
    _code_field(JURISDICTION_PATTERN, "ISO 3166-1 alpha-2 (`CA`) or ISO 3166-2 (`CA-BC`)."),
]
Country = Annotated[
    str,
    BeforeValidator(_upper),
    StringConstraints(pattern=COUNTRY_PATTERN),
    _code_field(COUNTRY_PATTERN, "ISO 3166-1 alpha-2, e.g. `CA`."),
]
Currency = Annotated[
    str,
    BeforeValidator(_upper),
    StringConstraints(pattern=CURRENCY_PATTERN),
    _code_field(CURRENCY_PATTERN, "ISO 4217, e.g. `EUR`."),
]

MONEY_PATTERN = r"^[0-9]{1,18}(\.[0-9]{1,2})?$"


MONEY_LIMIT = 10**18


def _money(value: Any) -> Any:
    """An amount as a string (`"7552800.00"`) or a JSON number, at most 2 decimals, never a float's noise."""
    if isinstance(value, bool):
        raise ValueError("must be an amount")
    if isinstance(value, str):
        if not re.fullmatch(MONEY_PATTERN, value):
            raise ValueError("must be an amount such as 1500 or 1500.50")
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite amount")
        exact = Decimal(repr(value))
        if abs(exact) >= MONEY_LIMIT:
            # Too many digits to round to cents (quantize would raise InvalidOperation: a 500).
            raise ValueError(f"must be less than {MONEY_LIMIT:,}")
        cents = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        if abs(exact - cents) > Decimal("1e-9") * max(Decimal(1), abs(cents)):
            raise ValueError("must have at most 2 decimal places")
        return cents
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    Field(ge=0, max_digits=20, decimal_places=2, allow_inf_nan=False),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 10_000_000_000_000, "multipleOf": 0.01},
                {"type": "string", "pattern": MONEY_PATTERN},
            ]
        }
    ),
]

ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _iso_date(value: Any) -> Any:
    """Only an ISO date (`2021-02-03`): not a number, which pydantic would read as a timestamp."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not re.fullmatch(ISO_DATE, value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
DAY_PATTERN = r"^(1[89][0-9]{2}|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
# A date on the record: years 1800 to 2999.
Date = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    Field(ge=dt.date(1800, 1, 1), le=dt.date(2999, 12, 31)),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": DAY_PATTERN,
        }
    ),
]


def unchanged(**constraints: Any) -> Any:
    """The default of a field of an update (`XUpdate`): absent means unchanged. The field's
    type has no null, so a null sent is refused (422); absent, the field reads None and is not
    among the values set (`model_dump(exclude_unset=True)`), which are all a service applies.
    (Typed `Any`, as `Field` is: the field's declared type is its value's when it is sent.)"""
    return Field(default=None, **constraints)


class InputModel(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


# The three kinds of penalty total a read carries, each `{currency: amount}` (DESIGN.md, Money).
IN_FORCE = (
    "Penalties in force, by currency: those imposed, leaving out the ones whose decision was "
    "overturned (every currency imposed is named, 0 where none is in force)."
)
CONTESTED = (
    "Of the penalties in force, those contested (their decision under appeal or remitted), "
    "by currency (every currency imposed is named, 0 where none is contested)."
)
PAID = (
    "Penalties paid, by currency, as the assessments of their payment obligations say: a "
    "penalty paid counts whole, one partly paid its amount paid, one unpaid or contested 0. A "
    "currency is named only where a payment of one of its penalties is recorded: none named "
    'means "no payment recorded", never "unpaid".'
)


class CountedOutput(BaseModel):
    """A read with `recommendation_counts` (declared by the read itself, in its place): adds
    the derived `complied_share` after its fields."""

    if TYPE_CHECKING:
        recommendation_counts: dict[Status, int]

    @computed_field(  # type: ignore[prop-decorator]  # pydantic's documented computed_field over a property
        description="Complied ÷ recommendations not withdrawn (0 to 1); null when there are none."
    )
    @property
    def complied_share(self) -> float | None:
        return complied_share(self.recommendation_counts)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` as `cursor` to get the next one."""

    items: list[T]
    next_cursor: str | None = None


class ProblemField(BaseModel):
    """One bad field of a validation problem."""

    field: str = Field(
        description="Where: `issued_on`, `findings.2.outcome`, `query.cursor`, `header.if-match`."
    )
    message: str = Field(description="Why, in words.")
    type: str = Field(description="A short code: `missing`, `string_too_long`, `cursor`, `etag`...")


class Problem(BaseModel):
    """An RFC 9457 problem detail (`application/problem+json`)."""

    type: str = Field(
        description="A URI reference naming the kind of problem, such as `/problems/validation`."
    )
    title: str = Field(description="The kind of problem, in words; the same for every problem of a type.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong with this request, in words.")
    instance: str | None = Field(default=None, description="A URI reference naming this occurrence.")
    errors: list[ProblemField] | None = Field(
        default=None, description="On validation problems (422, 400): each bad field."
    )


def unique(values: list[str]) -> list[str]:
    """The values without repeats, in their first order."""
    return list(dict.fromkeys(values))


def _to_utc(value: dt.datetime) -> dt.datetime:
    """A timestamp in UTC (naive ones are taken as UTC); one that does not fit is refused."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValueError("is out of range") from exc


UtcDatetime = Annotated[dt.datetime, AfterValidator(_to_utc)]


class Provenance(OutputModel):
    """Where an imported record came from: its data set, the file (and its SHA-256), the row
    of the file (the header is row 1), the mapping that read it, and when."""

    dataset: str
    file: str
    file_sha256: str
    row: int
    mapping: str
    imported_at: dt.datetime
