"""The whole record out as one JSON document (format `findings-tracker-record`, version 2;
docs/export-format.md): the export half of app/services/exchange/record_import.py.

Each section's items are read from the records as their models in app/schemas/record.py
declare them, page by page through each table by id (keyset), so memory stays flat.
"""

import base64
import functools
import json
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select, union
from sqlalchemy.orm import Session, selectinload

from app.models import Assessment, Case, Decision, Document, Organisation, Recommendation, Regulator
from app.schemas.fields import part_model
from app.schemas.record import (
    FORMAT,
    ITEM_MODELS,
    SECTIONS,
    VERSION,
    AssessmentItem,
    DecisionItem,
    OrganisationItem,
    RecommendationItem,
    RelatedItem,
)
from app.services.evidence import storage
from app.services.shared import audit

PAGE = 500


STAMPS = ("version", "created_at", "updated_at")
# An item's list of plain values, read from each part's one value column.
LIST_VALUES = {
    "aliases": "alias",
    "provisions": "provision",
    "tags": "tag",
    "pages": "text",
    "recommended_by": "organisation_id",
}
# Item fields read from a record attribute of another name.
READ_AS: dict[tuple[type[BaseModel], str], str] = {
    (RelatedItem, "decision_id"): "related_decision_id",
    # The public attribution, never the account.
    (AssessmentItem, "recorded_by"): "recorded_by_name",
    (AssessmentItem, "retracted_by"): "retracted_by_name",
    (AssessmentItem, "reviewed_by"): "reviewed_by_name",
}
# Fields written only where the record has the first of them, other than what it is when
# absent (an assessment's retraction; its provenance, unless entered by a person; a machine
# reading's rule and evidence; its review; the reading a correction supersedes; a decision's
# amounts reported by other sources; a recommendation's recommending parties).
ONLY_WITH: dict[type[BaseModel], tuple[tuple[tuple[str, ...], Any], ...]] = {
    OrganisationItem: ((("parent_since",), None), (("former_parents",), [])),
    DecisionItem: ((("reported_amounts",), []), (("translations",), {})),
    RecommendationItem: ((("recommended_by",), []), (("translations",), {})),
    AssessmentItem: (
        (("retracted_at", "retracted_by", "retraction_reason"), None),
        (("origin", "counted", "review"), "entered"),
        (("rule", "confidence", "evidence_start", "evidence_end"), None),
        (("reviewed_at", "reviewed_by"), None),
        (("corrects_id",), None),
        (("amount_paid",), None),
    ),
}


@functools.cache
def _layout(model: type[BaseModel]) -> tuple[tuple[str, str, Any], ...]:
    """(field, how it is read, its part model or value column) for each field of an item
    model, in the model's order with the stamps last: the items are declared once, in
    app/schemas/record.py (and the schemas it builds on), and read from the records by name."""
    fields = model.model_fields
    names = [n for n in fields if n not in STAMPS] + [n for n in STAMPS if n in fields]
    out: list[tuple[str, str, Any]] = []
    for name in names:
        part = part_model(fields[name].annotation)
        if part is not None:
            out.append((name, "parts", part))
        elif name in LIST_VALUES:
            out.append((name, "values", LIST_VALUES[name]))
        else:
            out.append((name, "value", READ_AS.get((model, name), name)))
    return tuple(out)


def item_of(model: type[BaseModel], obj: Any) -> dict[str, Any]:
    """A record (or one of its parts) as an item of the export, as `model` declares it."""
    item: dict[str, Any] = {}
    for name, how, source in _layout(model):
        if how == "parts":
            item[name] = [item_of(source, part) for part in getattr(obj, name)]
        elif how == "values":
            item[name] = [getattr(part, source) for part in getattr(obj, name)]
        else:
            item[name] = audit.jsonable(getattr(obj, source))
    for names, absent in ONLY_WITH.get(model, ()):
        if item.get(names[0]) == absent:
            for name in names:
                item.pop(name, None)
    return item


# Each section's table; its parts are loaded by the item's list fields.
TABLES: dict[str, Any] = {
    "regulators": Regulator,
    "organisations": Organisation,
    "cases": Case,
    "documents": Document,
    "decisions": Decision,
    "recommendations": Recommendation,
    "assessments": Assessment,
}


def _options(section: str) -> tuple[Any, ...]:
    model = TABLES[section]
    return tuple(
        selectinload(getattr(model, name)) for name, how, _ in _layout(ITEM_MODELS[section]) if how != "value"
    )


def _pages(session: Session, model: Any, options: tuple[Any, ...]) -> Iterator[list[Any]]:
    """All rows of a table by id, one page at a time (keyset, not OFFSET)."""
    last = 0
    while True:
        rows = list(
            session.scalars(
                select(model).where(model.id > last).order_by(model.id).limit(PAGE).options(*options)
            )
        )
        if not rows:
            return
        yield rows
        last = rows[-1].id
        # Forget the page, so memory does not grow with the record.
        session.expunge_all()


def dumps(item: Any) -> str:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


def export_record(session: Session) -> Iterator[str]:
    """The whole record as JSON text, in pieces (a few hundred items each)."""
    yield "{" + dumps("format") + ":" + dumps(FORMAT) + ",\n" + dumps("version") + ":" + str(VERSION)
    for section in SECTIONS:
        item_model = ITEM_MODELS[section]
        yield ",\n" + dumps(section) + ":["
        if section == "blobs":
            yield from _blobs(session)
            continue
        first = True
        for rows in _pages(session, TABLES[section], _options(section)):
            lines = [
                ("\n" if first and i == 0 else ",\n") + dumps(item_of(item_model, row))
                for i, row in enumerate(rows)
            ]
            first = False
            yield "".join(lines)
        yield "\n]" if not first else "]"
    yield "\n}\n"


def _blobs(session: Session) -> Iterator[str]:
    """The bytes of every archived document and WARC record, once each, by SHA-256 (base64),
    one at a time: wherever they are kept (the database or `DOCUMENT_DIR`)."""
    held = union(
        select(Document.sha256.label("sha256")).where(Document.sha256.is_not(None)),
        select(Document.warc_sha256).where(Document.warc_sha256.is_not(None)),
    ).subquery()
    first = True
    for (digest,) in session.execute(select(held.c.sha256).order_by(held.c.sha256)).all():
        data = storage.get(session, digest)
        if data is None:
            continue  # lost bytes are reported by `findings documents verify`, not invented
        item = {"sha256": digest, "size": len(data), "data": base64.b64encode(data).decode()}
        yield ("\n" if first else ",\n") + dumps(item)
        first = False
    yield "\n]" if not first else "]"


def consistent_read(session: Session) -> None:
    """Begin the session's transaction so that every later read sees one snapshot."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        # SQLite (WAL): a read transaction sees the database as it was at its first read.
        session.scalar(select(func.count()).select_from(Regulator))
