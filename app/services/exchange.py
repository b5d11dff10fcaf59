"""The whole record out as one JSON document, and back in to an empty instance.

Format `findings-tracker-record`, version 1 (described in docs/export-format.md): a JSON
object with `format` and `version`, then one array per section in this order — regulators,
organisations, cases, decisions (with all their parts), recommendations, assessments — each
item on its own line, ordered by id. Ids, versions and timestamps are kept, so an export
imported into an empty instance and exported again gives the same bytes. Derived values
(statuses, compliance, standing) are left out: they follow from the history, and import
derives them again with the compliance rules.

Export pages through each table by id (keyset), so memory stays flat; import reads the
document item by item (`jsonstream`), checks every item, writes in batches, and is
all-or-nothing: the caller's transaction is rolled back on the first error report.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.errors import Conflict, FieldError, Invalid
from app.models import (
    Assessment,
    AuditEntry,
    Case,
    CaseTag,
    Decision,
    DecisionOrganisation,
    DecisionProvision,
    DecisionRegulator,
    DecisionRelation,
    DecisionSource,
    DecisionTag,
    Finding,
    Organisation,
    OrganisationAlias,
    Recommendation,
    Regulator,
)
from app.models.base import table_of
from app.schemas.record import FORMAT, ITEM_MODELS, SECTIONS, VERSION
from app.services import audit, compliance, documents, jsonstream

PAGE = 500
BATCH = 500
MAX_ERRORS = 20


# -- Export ---------------------------------------------------------------------------------


def _row_fields(obj: Any, *names: str) -> dict[str, Any]:
    return {name: audit.jsonable(getattr(obj, name)) for name in names}


STAMPS = ("version", "created_at", "updated_at")


def regulator_item(r: Regulator) -> dict[str, Any]:
    return _row_fields(r, "id", "name", "short_name", "jurisdiction", "kind", "website", *STAMPS)


def organisation_item(o: Organisation) -> dict[str, Any]:
    return {
        **_row_fields(o, "id", "name"),
        "aliases": [a.alias for a in o.aliases],
        **_row_fields(o, "parent_id", "kind", "country", "website", *STAMPS),
    }


def case_item(c: Case) -> dict[str, Any]:
    return {
        **_row_fields(c, "id", "title", "summary"),
        "tags": [t.tag for t in c.tags],
        **_row_fields(c, *STAMPS),
    }


def decision_item(d: Decision) -> dict[str, Any]:
    return {
        **_row_fields(
            d,
            "id",
            "reference",
            "title",
            "kind",
            "issued_on",
            "summary",
            "case_id",
            "penalty_amount",
            "penalty_currency",
        ),
        "regulators": [{"regulator_id": r.regulator_id, "role": r.role.value} for r in d.regulators],
        "organisations": [
            {"organisation_id": o.organisation_id, "role": o.role.value} for o in d.organisations
        ],
        "findings": [
            _row_fields(f, "id", "text", "provision", "organisation_id", "outcome") for f in d.findings
        ],
        "provisions": [p.provision for p in d.provisions],
        "sources": [_row_fields(s, "id", "url", "title", "publisher", "published_on") for s in d.sources],
        "tags": [t.tag for t in d.tags],
        "related": [{"decision_id": r.related_decision_id, "relation": r.relation.value} for r in d.related],
        **_row_fields(d, *STAMPS),
    }


def recommendation_item(r: Recommendation) -> dict[str, Any]:
    return _row_fields(
        r, "id", "decision_id", "organisation_id", "reference", "text", "kind", "due_on", *STAMPS
    )


def assessment_item(a: Assessment) -> dict[str, Any]:
    """An assessment as exported: the public attribution (never the account), and its
    retraction only where there is one."""
    item = _row_fields(
        a,
        "id",
        "recommendation_id",
        "status",
        "assessed_on",
        "asserted_by",
        "note",
        "source_url",
        "source_title",
        "source_quote",
        "recorded_at",
    ) | {"recorded_by": a.recorded_by_name}
    if a.retracted_at is not None:
        item |= {
            "retracted_at": audit.jsonable(a.retracted_at),
            "retracted_by": a.retracted_by_name,
            "retraction_reason": a.retraction_reason,
        }
    return item


EXPORTERS: dict[str, tuple[Any, tuple[Any, ...], Callable[[Any], dict[str, Any]]]] = {
    "regulators": (Regulator, (), regulator_item),
    "organisations": (Organisation, (selectinload(Organisation.aliases),), organisation_item),
    "cases": (Case, (selectinload(Case.tags),), case_item),
    "decisions": (
        Decision,
        tuple(
            selectinload(getattr(Decision, name))
            for name in (
                "regulators",
                "organisations",
                "findings",
                "provisions",
                "sources",
                "tags",
                "related",
            )
        ),
        decision_item,
    ),
    "recommendations": (Recommendation, (), recommendation_item),
    "assessments": (Assessment, (), assessment_item),
}


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
        model, options, to_item = EXPORTERS[section]
        yield ",\n" + dumps(section) + ":["
        first = True
        for rows in _pages(session, model, options):
            lines = [
                ("\n" if first and i == 0 else ",\n") + dumps(to_item(row)) for i, row in enumerate(rows)
            ]
            first = False
            yield "".join(lines)
        yield "\n]" if not first else "]"
    yield "\n}\n"


# -- Import ---------------------------------------------------------------------------------

ENTITIES = (Regulator, Organisation, Case, Decision, Recommendation)


def is_empty(session: Session) -> bool:
    return all(session.scalar(select(model.id).limit(1)) is None for model in ENTITIES)


def _field(section: str, index: int, loc: Iterable[Any]) -> str:
    path = f"{section}[{index}]"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str, type_: str = "invalid") -> None:
        self.items.append(FieldError(field, message, type_))
        if len(self.items) >= MAX_ERRORS:
            self.raise_()

    def raise_(self) -> None:
        if self.items:
            shown = "; ".join(f"{e.field}: {e.message}" for e in self.items[:5])
            more = f" (and {len(self.items) - 5} more)" if len(self.items) > 5 else ""
            raise Invalid(
                f"The file was not imported (nothing was changed): {shown}{more}.", list(self.items)
            )


class _Batches:
    """Rows waiting to be inserted, table by table, flushed in batches."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rows: dict[Table, list[dict[str, Any]]] = {}

    def add(self, table: Any, row: dict[str, Any]) -> None:
        table = getattr(table, "__table__", table)
        pending = self.rows.setdefault(table, [])
        pending.append(row)
        if len(pending) >= BATCH:
            # All tables, in the order first met (parents before children), so that no
            # row goes in before the row it refers to.
            self.flush()

    def flush(self) -> None:
        for table in list(self.rows):
            pending = self.rows.get(table)
            if pending:
                self.session.execute(insert(table), pending)
                self.rows[table] = []


class _Importer:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.errors = _Errors()
        self.batches = _Batches(session)
        self.actor = audit.actor(session)
        self.now = dt.datetime.now(dt.UTC)
        self.ids: dict[str, set[int]] = {s: set() for s in SECTIONS}
        self.child_ids: dict[str, set[int]] = {"findings": set(), "sources": set()}
        self.regulator_names: set[str] = set()
        self.references: set[str] = set()
        self.recommendation_references: set[tuple[int, str]] = set()
        self.parents: dict[int, tuple[int, int]] = {}  # organisation id -> (parent id, index)
        self.issued_on: dict[int, dt.date] = {}
        self.related: list[tuple[int, int, Any]] = []  # (decision index, decision id, related list)
        self.counts: dict[str, int] = {s: 0 for s in SECTIONS}

    # Each section's item: check it, then queue its rows.

    def _ref(self, field: str, section: str, id: int | None) -> None:
        if id is not None and id not in self.ids[section]:
            self.errors.add(
                field, f"there is no {section[:-1]} with id {id} earlier in the file", "reference"
            )

    def _new_id(self, section: str, index: int, id: int) -> bool:
        if id in self.ids[section]:
            self.errors.add(f"{section}[{index}].id", f"id {id} appears twice", "unique")
            return False
        self.ids[section].add(id)
        return True

    def _audit(self, entity: str, id: int, item: dict[str, Any]) -> None:
        self.batches.add(
            AuditEntry,
            {
                "at": self.now,
                "actor": self.actor,
                "action": "import",
                "entity": entity,
                "entity_id": id,
                "before": None,
                "after": item,
            },
        )

    def regulators(self, i: int, m: Any, raw: dict[str, Any]) -> None:
        if not self._new_id("regulators", i, m.id):
            return
        if m.name.casefold() in self.regulator_names:
            self.errors.add(f"regulators[{i}].name", f"another regulator is named {m.name!r}", "unique")
        self.regulator_names.add(m.name.casefold())
        self.batches.add(Regulator, m.model_dump())
        self._audit("regulator", m.id, raw)

    def organisations(self, i: int, m: Any, raw: dict[str, Any]) -> None:
        if not self._new_id("organisations", i, m.id):
            return
        if m.parent_id is not None:
            self.parents[m.id] = (m.parent_id, i)
        self.batches.add(Organisation, m.model_dump(exclude={"aliases"}) | {"parent_id": None})
        for position, alias in enumerate(m.aliases):
            self.batches.add(
                OrganisationAlias, {"organisation_id": m.id, "position": position, "alias": alias}
            )
        self._audit("organisation", m.id, raw)

    def cases(self, i: int, m: Any, raw: dict[str, Any]) -> None:
        if not self._new_id("cases", i, m.id):
            return
        self.batches.add(Case, m.model_dump(exclude={"tags"}))
        for tag in m.tags:
            self.batches.add(CaseTag, {"case_id": m.id, "tag": tag})
        self._audit("case", m.id, raw)

    def decisions(self, i: int, m: Any, raw: dict[str, Any]) -> None:
        where = f"decisions[{i}]"
        if not self._new_id("decisions", i, m.id):
            return
        if m.reference in self.references:
            self.errors.add(f"{where}.reference", f"reference {m.reference!r} appears twice", "unique")
        self.references.add(m.reference)
        self._ref(f"{where}.case_id", "cases", m.case_id)
        for j, r in enumerate(m.regulators):
            self._ref(f"{where}.regulators[{j}].regulator_id", "regulators", r.regulator_id)
        for j, o in enumerate(m.organisations):
            self._ref(f"{where}.organisations[{j}].organisation_id", "organisations", o.organisation_id)
        for j, f in enumerate(m.findings):
            self._ref(f"{where}.findings[{j}].organisation_id", "organisations", f.organisation_id)
        for part, items in (("findings", m.findings), ("sources", m.sources)):
            for j, child in enumerate(items):
                if child.id in self.child_ids[part]:
                    self.errors.add(f"{where}.{part}[{j}].id", f"id {child.id} appears twice", "unique")
                self.child_ids[part].add(child.id)
        self.issued_on[m.id] = m.issued_on
        if m.related:
            self.related.append((i, m.id, m.related))
        values = m.model_dump(
            exclude={"regulators", "organisations", "findings", "provisions", "sources", "tags", "related"}
        )
        self.batches.add(Decision, values | {"compliance": "none"})
        for j, r in enumerate(m.regulators):
            self.batches.add(
                DecisionRegulator,
                {"decision_id": m.id, "regulator_id": r.regulator_id, "role": r.role.value, "position": j},
            )
        for j, o in enumerate(m.organisations):
            self.batches.add(
                DecisionOrganisation,
                {
                    "decision_id": m.id,
                    "organisation_id": o.organisation_id,
                    "role": o.role.value,
                    "position": j,
                },
            )
        for j, f in enumerate(m.findings):
            self.batches.add(Finding, f.model_dump() | {"decision_id": m.id, "position": j})
        for j, p in enumerate(m.provisions):
            self.batches.add(DecisionProvision, {"decision_id": m.id, "position": j, "provision": p})
        for j, s in enumerate(m.sources):
            self.batches.add(DecisionSource, s.model_dump() | {"decision_id": m.id, "position": j})
        for tag in m.tags:
            self.batches.add(DecisionTag, {"decision_id": m.id, "tag": tag})
        self._audit("decision", m.id, raw)

    def recommendations(self, i: int, m: Any, raw: dict[str, Any]) -> None:
        if not self._new_id("recommendations", i, m.id):
            return
        self._ref(f"recommendations[{i}].decision_id", "decisions", m.decision_id)
        self._ref(f"recommendations[{i}].organisation_id", "organisations", m.organisation_id)
        if m.reference is not None:
            key = (m.decision_id, m.reference)
            if key in self.recommendation_references:
                self.errors.add(
                    f"recommendations[{i}].reference",
                    f"reference {m.reference!r} appears twice in decision {m.decision_id}",
                    "unique",
                )
            self.recommendation_references.add(key)
        self.batches.add(Recommendation, m.model_dump() | {"status": "pending", "last_assessed_on": None})
        self._audit("recommendation", m.id, raw)

    def assessments(self, i: int, m: Any, raw: dict[str, Any]) -> None:
        if not self._new_id("assessments", i, m.id):
            return
        self._ref(f"assessments[{i}].recommendation_id", "recommendations", m.recommendation_id)
        data = m.model_dump()
        # The file holds public attributions; an actor-shaped one (from an older export) is
        # reduced to its public form, so that no account is shown.
        data["recorded_by_name"] = audit.public_name_of(data["recorded_by"])
        data["retracted_by_name"] = (
            None if data["retracted_at"] is None else audit.public_name_of(data["retracted_by"] or "admin")
        )
        self.batches.add(Assessment, data)
        self._audit("assessment", m.id, raw)

    # Checks and writes that need a whole section.

    def end_organisations(self) -> None:
        for parent_id, i in self.parents.values():
            self._ref(f"organisations[{i}].parent_id", "organisations", parent_id)
        for id, (_, i) in self.parents.items():
            seen = {id}
            current: int | None = self.parents[id][0]
            while current is not None:
                if current in seen:
                    self.errors.add(f"organisations[{i}].parent_id", "makes the parent chain a loop", "cycle")
                    break
                seen.add(current)
                current = self.parents.get(current, (None, 0))[0]
        self.errors.raise_()
        self.batches.flush()
        table = table_of(Organisation)
        rows = [{"b_id": id, "b_parent": parent} for id, (parent, _) in self.parents.items()]
        for start in range(0, len(rows), BATCH):
            self.session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(parent_id=bindparam("b_parent"), updated_at=table.c.updated_at),
                rows[start : start + BATCH],
            )

    def end_decisions(self) -> None:
        for i, id, related in self.related:
            for j, r in enumerate(related):
                field = f"decisions[{i}].related[{j}].decision_id"
                if r.decision_id == id:
                    self.errors.add(field, "a decision cannot be related to itself", "self")
                elif r.decision_id not in self.issued_on:
                    self.errors.add(
                        field, f"there is no decision with id {r.decision_id} in the file", "reference"
                    )
                elif self.issued_on[r.decision_id] > self.issued_on[id]:
                    self.errors.add(
                        field,
                        f"decision {r.decision_id} was issued after this one; "
                        "a link goes from a later decision to an earlier one",
                        "chronology",
                    )
        self.errors.raise_()
        self.batches.flush()
        for _, id, related in self.related:
            for j, r in enumerate(related):
                self.batches.add(
                    DecisionRelation,
                    {
                        "decision_id": id,
                        "related_decision_id": r.decision_id,
                        "relation": r.relation.value,
                        "position": j,
                    },
                )
        self.related = []
        self.issued_on = {}

    def finish(self) -> None:
        self.errors.raise_()
        self.batches.flush()
        compliance.refresh_all(self.session)
        # Written past the ORM: every read document is made again before the commit.
        documents.touch_all(self.session)
        reset_sequences(self.session)


def import_record(session: Session, fp: TextIO) -> dict[str, int]:
    """Load an export into this (empty) instance; return the number of items per section.

    All-or-nothing: on any error an `Invalid` naming each bad item and field is raised, and
    the caller rolls the transaction back.
    """
    if not is_empty(session):
        raise Conflict(
            "This instance already holds a record; a whole-record import needs an empty instance "
            "(migrate a new database and import into it)."
        )
    importer = _Importer(session)
    header: dict[str, Any] = {}
    seen: list[str] = []
    try:
        for event in jsonstream.events(fp):
            if isinstance(event, jsonstream.Scalar):
                if event.key not in ("format", "version"):
                    raise Invalid(
                        f"Unknown key {event.key!r} in the file.",
                        [FieldError(event.key, "is not part of the format", "extra_forbidden")],
                    )
                header[event.key] = event.value
                continue
            if isinstance(event, jsonstream.ArrayStart):
                _check_header(header)
                _check_order(event.key, seen)
                seen.append(event.key)
                continue
            if isinstance(event, jsonstream.ArrayEnd):
                importer.counts[event.key] = event.count
                if event.key == "organisations":
                    importer.end_organisations()
                elif event.key == "decisions":
                    importer.end_decisions()
                else:
                    importer.errors.raise_()
                    importer.batches.flush()
                continue
            _read_item(importer, event)
        _check_header(header)
        missing = [s for s in SECTIONS if s not in seen]
        if missing:
            raise Invalid(
                "The file lacks the section(s) " + ", ".join(missing) + ".",
                [FieldError(s, "section missing", "missing") for s in missing],
            )
        importer.finish()
    except IntegrityError as exc:
        # The checks above should leave the database nothing to refuse; if it does, say so
        # plainly (the caller rolls back).
        raise Conflict(
            "The file conflicts with the database's constraints; nothing was changed: "
            f"{str(exc.orig).splitlines()[0] if exc.orig is not None else exc}."
        ) from exc
    except UnicodeDecodeError as exc:
        raise Invalid(
            "The file is not UTF-8 text; nothing was changed.",
            [FieldError("body", f"byte {exc.start} is not UTF-8", "encoding")],
        ) from exc
    except jsonstream.TooDeep as exc:
        raise Invalid(
            f"The file was not imported (nothing was changed): {exc}.",
            [FieldError(f"{exc.key}[{exc.index}]", f"nested over {jsonstream.MAX_DEPTH} levels", "depth")],
        ) from exc
    except jsonstream.JsonShapeError as exc:
        raise Invalid(
            f"The file is not a record export: {exc}.",
            [FieldError("body", str(exc), "json_invalid")],
        ) from exc
    return importer.counts


def _check_header(header: dict[str, Any]) -> None:
    if header.get("format") != FORMAT:
        raise Invalid(
            f"The file's `format` must be {FORMAT!r} (found {header.get('format')!r}).",
            [FieldError("format", f"must be {FORMAT!r}", "format")],
        )
    if header.get("version") != VERSION:
        raise Invalid(
            f"This version reads format version {VERSION}; the file has {header.get('version')!r}.",
            [FieldError("version", f"must be {VERSION}", "version")],
        )


def _check_order(key: str, seen: list[str]) -> None:
    if key not in SECTIONS:
        raise Invalid(
            f"Unknown section {key!r}; the sections are " + ", ".join(SECTIONS) + ".",
            [FieldError(key, "is not part of the format", "extra_forbidden")],
        )
    if key in seen or (seen and SECTIONS.index(key) < SECTIONS.index(seen[-1])):
        raise Invalid(
            f"Section {key!r} is repeated or out of order; the order is " + ", ".join(SECTIONS) + ".",
            [FieldError(key, "repeated or out of order", "order")],
        )


def _read_item(importer: _Importer, event: jsonstream.Item) -> None:
    section, index, raw = event.key, event.index, event.value
    model = ITEM_MODELS[section]
    try:
        item = model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            if err.get("type") == "extra_forbidden":
                message = "is not a field of this item"
            importer.errors.add(_field(section, index, err.get("loc", ())), message, str(err.get("type")))
        return
    getattr(importer, section)(index, item, raw)


# -- Dialect-specific pieces ----------------------------------------------------------------

SEQUENCED = (
    Regulator,
    Organisation,
    OrganisationAlias,
    Case,
    Decision,
    Finding,
    DecisionSource,
    Recommendation,
    Assessment,
    AuditEntry,
)


def reset_sequences(session: Session) -> None:
    """After rows were inserted with explicit ids, make new ids start above them.

    SQLite's INTEGER PRIMARY KEY takes max(id) + 1 by itself; PostgreSQL's sequences do not
    move when an id is given, so each is set to the table's highest id.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in SEQUENCED:
        table = model.__tablename__
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 1), "
                f"(SELECT max(id) FROM {table}) IS NOT NULL)"
            )
        )


def consistent_read(session: Session) -> None:
    """Begin the session's transaction so that every later read sees one snapshot."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        # SQLite (WAL): a read transaction sees the database as it was at its first read.
        session.scalar(select(func.count()).select_from(Regulator))
