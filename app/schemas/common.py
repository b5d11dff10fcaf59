"""Field types and base models shared by every schema."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

MAX_ID = 2**63 - 1

DbId = Annotated[int, Field(ge=1, le=MAX_ID, description="An integer id.")]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def text(max_length: int, min_length: int = 1) -> type[str]:
    """A string, stripped, without NUL characters, between the given lengths."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
    ]


Name = text(300)
Title = text(500)
LongText = text(50_000)
Tag = text(100)
ShortName = text(100)
Provision = text(300)
Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://[^\s]+$"),
    AfterValidator(_no_nul),
]


def _code(pattern: str, what: str) -> type[str]:
    """An upper-case code such as a country, a subdivision or a currency."""
    return Annotated[  # type: ignore[return-value]
        str,
        BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v),
        StringConstraints(pattern=pattern),
        Field(description=what),
    ]


Jurisdiction = _code(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$", "ISO 3166-1 alpha-2 (`CA`) or ISO 3166-2 (`CA-BC`).")
Country = _code(r"^[A-Z]{2}$", "ISO 3166-1 alpha-2, e.g. `CA`.")
Currency = _code(r"^[A-Z]{3}$", "ISO 4217, e.g. `EUR`.")
Money = Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=2, allow_inf_nan=False)]
Date = Annotated[dt.date, Field(ge=dt.date(1800, 1, 1), le=dt.date(2999, 12, 31))]


class InputModel(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` as `cursor` to get the next one."""

    items: list[T]
    next_cursor: str | None = None


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None


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
