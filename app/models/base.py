"""Declarative base, naming convention and shared column types."""

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, Numeric, String, Table, TypeDecorator
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.schema import CreateTable

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Integer primary keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def never_reused(table: Table) -> bool:
    """Whether the table's key is an integer `id` (a rowid alias on SQLite)."""
    columns = list(table.primary_key.columns)
    return len(columns) == 1 and columns[0].name == "id" and isinstance(columns[0].type, Integer)


@compiles(CreateTable, "sqlite")
def _create_table_sqlite(element: CreateTable, compiler: Any, **kw: Any) -> str:
    """Every table with an integer `id` is made AUTOINCREMENT on SQLite (by the models, by the
    migrations' create_table and by their batch rebuilds alike): a deleted or merged record's id
    is never given to another (without it SQLite takes max(id) + 1, so a subscription or a
    merged id's 308 followed a new, unrelated record). PostgreSQL's sequences never go back."""
    if never_reused(element.element):
        element.element.dialect_options["sqlite"]["autoincrement"] = True
    return str(compiler.visit_create_table(element, **kw))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Translations(TypeDecorator[dict[str, Any]]):
    """A record's words in other languages, by language (`{"fr": {"title": ...}}`): read as
    `{}` where it has none, written in code order, and NULL where empty (so that "none" is one
    value, whoever writes the row: the services, an import's bulk inserts, a migration)."""

    impl = JSON(none_as_null=True)
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Any) -> dict[str, Any] | None:
        return {code: value[code] for code in sorted(value)} if value else None

    def process_result_value(self, value: dict[str, Any] | None, dialect: Any) -> dict[str, Any]:
        return value or {}


def enum_column(enum: type[StrEnum], *, check: str | None = None, **kwargs: Any) -> Any:
    """A column holding one value of a vocabulary, checked by the database (the check named
    after the vocabulary, or `check` where a table has two columns of one vocabulary)."""
    from sqlalchemy import Enum

    return mapped_column(
        Enum(
            enum,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name=check or enum.__name__.lower(),
            validate_strings=True,
        ),
        **kwargs,
    )


Money = Numeric(20, 2, asdecimal=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        Decimal: Money,
        str: String(),
    }


def table_of(model: Any) -> Table:
    """A mapped class's table (SQLAlchemy types `__table__` as any FROM clause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Versioned(Timestamps):
    """A row with an optimistic-lock version, exposed as its ETag."""

    version: Mapped[int] = mapped_column()

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # UPDATE ... WHERE version = :seen, so a lost update cannot slip through.
        return {"version_id_col": table_of(cls).c.version}
