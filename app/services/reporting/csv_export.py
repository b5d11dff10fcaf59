"""CSV exports of decisions, recommendations, organisations, regulators and cases, for
spreadsheets and reports.

They take the lists' filters and `as_of` (the same SELECT builders, `decisions.filtered` and
`recommendations.filtered`), read the derived columns through the same read models as the
API (so status, compliance and standing follow the one set of rules), and come out page by
page (keyset), so memory stays flat.

Spreadsheet safety: UTF-8 with a byte-order mark (so spreadsheet programs pick the encoding),
a header row, CRLF line ends, every cell quoted (so that a spreadsheet splitting on `;` in
its locale cannot cut `x;=cmd|...` into a formula cell), and any cell that starts with `=`,
`+`, `-`, `@` (or their fullwidth forms), a tab or a line break, also after leading spaces or
invisible characters (every space separator, and every format character of Unicode category Cf:
zero-width spaces and joiners, a byte-order mark, the soft hyphen U+00AD, the Arabic letter mark
U+061C, the bidirectional isolates U+2066..U+2069), is prefixed with `'`, so that it is shown as
text and never run as a formula.
"""

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Decision, Organisation
from app.schemas.case import CaseRead
from app.schemas.country import CountryRead
from app.schemas.decision import DecisionRead
from app.schemas.filters import (
    CaseFilter,
    DecisionFilter,
    OrganisationFilter,
    RecommendationFilter,
    RegulatorFilter,
)
from app.schemas.organisation import OrganisationRead
from app.schemas.recommendation import RecommendationRead
from app.schemas.regulator import RegulatorRead
from app.services.record import cases, decisions, organisations, recommendations, regulators
from app.services.shared.pagination import paginate
from app.vocab import OrganisationRole, Status

PAGE = 500
BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Characters a spreadsheet may skip before a formula (they do not hide one from this check):
# spaces (Zs, and line and paragraph separators) and invisible format characters (Cf).
SKIPPED = frozenset({"Zs", "Zl", "Zp", "Cf"})


def _skipped(char: str) -> bool:
    return unicodedata.category(char) in SKIPPED


def safe_cell(value: Any) -> str:
    """A value as CSV text that a spreadsheet will not read as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    first = next((i for i, char in enumerate(text) if not _skipped(char)), len(text))
    if text[first:].startswith(FORMULA_START):
        return "'" + text
    return text


def _rows_to_text(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerows([[safe_cell(v) for v in row] for row in rows])
    return out.getvalue()


def _join(values: list[str]) -> str:
    return "; ".join(values)


def _field(name: str) -> Callable[[Any], Any]:
    return lambda d: getattr(d, name)


def _count(status: Status) -> Callable[[DecisionRead], int]:
    return lambda d: d.recommendation_counts.get(status, 0)


# Columns a decision's field is written as, where it is not one plain column of its own (an
# empty list: the field is not written).
DECISION_SPECIAL: dict[str, list[tuple[str, Callable[[DecisionRead], Any]]]] = {
    "regulators": [
        ("regulators", lambda d: _join([r.name for r in d.regulators])),
        ("jurisdictions", lambda d: _join(sorted({r.jurisdiction for r in d.regulators}))),
    ],
    "organisations": [
        ("organisations", lambda d: _join([f"{o.name} ({o.role.value})" for o in d.organisations])),
        # Who the decision is against, by name alone (a column to sort and filter on).
        (
            "respondents",
            lambda d: _join([o.name for o in d.organisations if o.role == OrganisationRole.respondent]),
        ),
    ],
    # How the penalty stands (in force, contested, overturned) beside its amount.
    "penalty_currency": [
        ("penalty_currency", _field("penalty_currency")),
        ("penalty_standing", _field("penalty_standing")),
        # What its payment obligation says was paid (empty: no payment recorded).
        ("penalty_paid", _field("penalty_paid")),
    ],
    "penalty_standing": [],
    "penalty_paid": [],
    # The obligation is a row of the recommendations CSV (kind `payment`, this decision's id).
    "payment_id": [],
    "provisions": [("provisions", lambda d: _join(d.provisions))],
    # Figures of the same act reported in other currencies (never in a total): "9000000.00 EUR;
    # ...", not the models' text.
    "reported_amounts": [
        ("reported_amounts", lambda d: _join([f"{a.amount:.2f} {a.currency}" for a in d.reported_amounts]))
    ],
    # Where an imported decision came from: its data set, its file's SHA-256, its row.
    "provenance": [
        ("provenance_dataset", lambda d: d.provenance.dataset if d.provenance else None),
        ("provenance_file_sha256", lambda d: d.provenance.file_sha256 if d.provenance else None),
        ("provenance_row", lambda d: d.provenance.row if d.provenance else None),
    ],
    "tags": [("tags", lambda d: _join(d.tags))],
    # The languages its title and summary are translated into ("de; fr"; the JSON has the texts).
    "translations": [("translations", lambda d: _join(sorted(d.translations)))],
    "recommendation_counts": [
        ("recommendations", lambda d: sum(d.recommendation_counts.values())),
        *((f"recommendations_{s.value}", _count(s)) for s in Status),
    ],
    **{
        name: []
        for name in ("sources", "findings", "related", "related_by", "version", "created_at", "updated_at")
    },
}
# Columns added since the order became a contract, then long texts last (so that a
# spreadsheet's rows stay readable).
DECISION_LAST = ("language", "translations", "summary")


def _columns_of(
    model: type[BaseModel], special: dict[str, list[tuple[str, Callable[[Any], Any]]]], last: tuple[str, ...]
) -> list[tuple[str, Callable[[Any], Any]]]:
    """The read model's fields as columns, in its order (then `last`): each plain field one
    column of its own name, the others as `special` says."""
    names = [*model.model_fields, *model.model_computed_fields]
    ordered = [n for n in names if n not in last] + [n for n in last if n in names]
    return [column for name in ordered for column in special.get(name, [(name, _field(name))])]


# Each column once, its header beside how a row's value is read, derived from the read model
# (app/schemas/decision.py): a plain field added there is a column here.
DECISION_COLUMNS = _columns_of(DecisionRead, DECISION_SPECIAL, DECISION_LAST)


@dataclass(frozen=True)
class _Recommendation:
    """A recommendation as the export reads it, with the names it shows beside the ids."""

    read: RecommendationRead
    decision_reference: str | None
    organisation: str | None


RECOMMENDATION_COLUMNS: list[tuple[str, Callable[[_Recommendation], Any]]] = [
    ("id", lambda r: r.read.id),
    ("decision_id", lambda r: r.read.decision_id),
    ("decision_reference", lambda r: r.decision_reference),
    ("organisation_id", lambda r: r.read.organisation_id),
    ("organisation", lambda r: r.organisation),
    ("reference", lambda r: r.read.reference),
    ("kind", lambda r: r.read.kind.value),
    ("text", lambda r: r.read.text),
    ("due_on", lambda r: r.read.due_on),
    ("status", lambda r: r.read.status.value),
    ("overdue", lambda r: r.read.overdue),
    ("last_assessed_on", lambda r: r.read.last_assessed_on),
]


def _pages(
    session: Session,
    stmt: Any,
    *,
    sorts: Any,
    sort: str,
    columns: list[tuple[str, Callable[[Any], Any]]],
    reads: Callable[[list[Any]], list[Any]],
) -> Iterator[str]:
    """CSV text: the header, then one piece per page (keyset) of the rows `reads` makes of the
    statement's records."""
    yield BOM + _rows_to_text([[header for header, _ in columns]])
    cursor: str | None = None
    while True:
        rows, cursor = paginate(session, stmt, sorts=sorts, sort=sort, limit=PAGE, cursor=cursor)
        yield _rows_to_text([[value(r) for _, value in columns] for r in reads([r[0] for r in rows])])
        session.expunge_all()
        if cursor is None:
            return


def decision_rows(session: Session, filters: DecisionFilter, *, sort: str = "-issued_on") -> Iterator[str]:
    """CSV text: the header, then one piece per page of decisions matching the filters."""
    as_of = filters.as_of
    return _pages(
        session,
        decisions.filtered(filters, session=session),
        sorts=decisions.sorts(as_of),
        sort=sort,
        columns=DECISION_COLUMNS,
        reads=lambda found: decisions.read_many(session, found, as_of=as_of),
    )


def recommendation_rows(
    session: Session, filters: RecommendationFilter, *, sort: str = "id"
) -> Iterator[str]:
    """CSV text: the header, then one piece per page of recommendations matching the filters."""
    as_of = filters.as_of

    def reads(recs: list[Any]) -> list[_Recommendation]:
        references = dict(
            session.execute(
                select(Decision.id, Decision.reference).where(Decision.id.in_({r.decision_id for r in recs}))
            ).all()
        )
        names = dict(
            session.execute(
                select(Organisation.id, Organisation.name).where(
                    Organisation.id.in_({r.organisation_id for r in recs})
                )
            ).all()
        )
        return [
            _Recommendation(r, references.get(r.decision_id), names.get(r.organisation_id))
            for r in recommendations.read_many(session, recs, as_of=as_of)
        ]

    return _pages(
        session,
        recommendations.filtered(filters),
        sorts=recommendations.sorts(as_of),
        sort=sort,
        columns=RECOMMENDATION_COLUMNS,
        reads=reads,
    )


# The parties' lists: each one's own columns, then the figures of its record (as of `as_of`).
PARTIES: dict[str, tuple[Any, type[BaseModel], tuple[str, ...]]] = {
    "organisations": (
        organisations,
        OrganisationRead,
        ("id", "name", "aliases", "kind", "country", "parent_id"),
    ),
    "regulators": (regulators, RegulatorRead, ("id", "name", "short_name", "jurisdiction", "kind")),
    "cases": (cases, CaseRead, ("id", "title", "tags")),
}


def _plain(name: str) -> Callable[[Any], Any]:
    def value(read: Any) -> Any:
        found = getattr(read, name)
        return _join(found) if isinstance(found, list) else getattr(found, "value", found)

    return value


def _money(kind: str, currency: str) -> Callable[[Any], Any]:
    return lambda read: getattr(read, kind).get(currency)


def party_rows(
    session: Session,
    kind: str,
    filters: OrganisationFilter | RegulatorFilter | CaseFilter,
    *,
    sort: str,
) -> Iterator[str]:
    """CSV text of one of the parties' lists (`organisations`, `regulators`, `cases`) with the
    filters and order of its page: its own columns, its decisions, its recommendations by
    status, complied share and compliance, and one column per penalty kind (imposed, in force,
    contested, ...) and per currency the record holds (empty where it has none)."""
    service, read_model, plain = PARTIES[kind]
    if isinstance(filters, OrganisationFilter):
        organisations.check_order(filters, sort)
    held = select(Decision.penalty_currency).where(Decision.penalty_currency.is_not(None)).distinct()
    currencies = sorted(c for c in session.scalars(held) if c)
    money = [name for name in read_model.model_fields if name.startswith("penalties")]
    columns: list[tuple[str, Callable[[Any], Any]]] = [(name, _plain(name)) for name in plain]
    columns += [
        ("decisions", _field("decision_count")),
        ("recommendations", lambda r: sum(r.recommendation_counts.values())),
        *((f"recommendations_{s.value}", _count(s)) for s in Status),
        ("complied_share", _field("complied_share")),
        ("compliance", lambda r: r.compliance.value),
    ]
    columns += [(f"{m}_{currency}", _money(m, currency)) for currency in currencies for m in money]
    return _pages(
        session,
        service.filtered(filters),
        sorts=service.sorts(filters),
        sort=sort,
        columns=columns,
        reads=lambda records: service.read_many(session, records, as_of=filters.as_of),
    )


def country_table(items: list[CountryRead]) -> str:
    """The countries' comparison as CSV text: one row per jurisdiction, its recommendations by
    status, and four columns per currency any of them names (imposed, in force, contested,
    paid: empty where no payment is recorded)."""
    currencies = sorted({c for item in items for c in item.penalties})
    header: list[Any] = ["jurisdiction", "name", "kind", "decisions", "recommendations"]
    header += [f"recommendations_{s.value}" for s in Status]
    header += ["complied_share", "compliance", "overdue"]
    for currency in currencies:
        header += [
            f"penalties_{currency}",
            f"penalties_in_force_{currency}",
            f"penalties_contested_{currency}",
            f"penalties_paid_{currency}",
        ]
    rows: list[list[Any]] = [header]
    for item in items:
        row: list[Any] = [item.jurisdiction, item.name, item.kind.value, item.decision_count]
        row.append(sum(item.recommendation_counts.values()))
        row += [item.recommendation_counts.get(s, 0) for s in Status]
        row += [item.complied_share, item.compliance.value, item.overdue]
        for currency in currencies:
            row += [
                item.penalties.get(currency),
                item.penalties_in_force.get(currency),
                item.penalties_contested.get(currency),
                item.penalties_paid.get(currency),
            ]
        rows.append(row)
    return BOM + _rows_to_text(rows)
