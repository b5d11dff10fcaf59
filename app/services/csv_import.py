"""Import decisions and recommendations from any CSV file, driven by a mapping file.

Rows are grouped into decisions (by the mapping's `group_by` columns; one row each without
it). For each decision:

- a decision whose reference is already in the record is *matched* (`Importer.
  existing_decision`, the one place that asks): nothing is written, so importing the same
  file twice creates nothing new;
- so is the same act under another reference (app/services/duplicates.py, over candidates
  loaded once); a near match is created; both are listed in the report's `duplicates`;
- its regulator and its rows' organisations are matched by name or alias, ignoring case
  (the record's own aliases and the mapping's), and created when missing; each row's
  recommendation is addressed to its own row's organisation;
- rows that cannot be used are *rejected* with their row number (the header is row 1, as in
  a spreadsheet) and the reason, and the other rows go on;
- everything is checked first (`Importer.plan`: the API's schemas, the services' rules),
  then the planned decisions are written `batch` at a time in bulk statements
  (`Importer.write`), with what the per-request services would have written: the derived
  status and compliance (`compliance`), one audit entry per created record, the search
  index (the database's triggers), the alert notes (`outbox`). A batch is one savepoint; a
  refused batch is written again decision by decision, so a decision is whole or not at all.

This module is long (over 400 lines) because planning and writing share one set of
dataclasses and caches; it has no other job.

The caller owns the transaction: `checkpoint` is called after each batch (the command line
commits there), and a dry run simply rolls everything back at the end.
"""

import csv
import datetime as dt
import functools
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import clock
from app.errors import DomainError, FieldError, Invalid
from app.models import (
    Assessment,
    AuditEntry,
    Decision,
    DecisionOrganisation,
    DecisionProvision,
    DecisionRegulator,
    DecisionSource,
    DecisionTag,
    Organisation,
    OrganisationAlias,
    Recommendation,
    Regulator,
)
from app.schemas.decision import DecisionCreate
from app.schemas.organisation import OrganisationCreate
from app.schemas.recommendation import AssessmentCreate, RecommendationCreate
from app.schemas.regulator import RegulatorCreate
from app.services import audit, compliance, documents, duplicates, outbox, recommendations
from app.services.decisions import CHILDREN
from app.services.mapping import FIELDS, LIST_FIELDS, Mapping_, RowError, codec_errors, fold, repair_mojibake
from app.vocab import Compliance, Status

BATCH = 200
MAX_LISTED_REJECTIONS = 10_000
# Long fields are the schemas' to refuse (row by row), not the CSV reader's (whole file).
csv.field_size_limit(max(csv.field_size_limit(), 64 << 20))


@dataclass
class Rejection:
    row: int
    reason: str


@dataclass
class Report:
    rows: int = 0
    created: int = 0
    matched: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rejected_count: int = 0
    # The status of each assessment created (or, in a dry run, that would be).
    statuses: Counter[str] = field(default_factory=Counter)
    # Rows matched to a recorded act under another reference, and near matches created.
    duplicates: list[Rejection] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            kind: {"created": 0, "matched": 0}
            for kind in ("decisions", "recommendations", "assessments", "regulators", "organisations")
        }
    )

    def reject(self, row: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_LISTED_REJECTIONS:
            self.rejected.append(Rejection(row, reason))

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "matched": self.matched,
            "rejected": self.rejected_count,
            "counts": self.counts,
            "statuses": {s.value: self.statuses.get(s.value, 0) for s in Status},
            "rejections": [{"row": r.row, "reason": r.reason} for r in self.rejected],
            "duplicates": [{"row": r.row, "reason": r.reason} for r in self.duplicates],
        }


def _validation_reason(exc: ValidationError, prefix: str) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()))
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{prefix}.{where}: {message}" if where else f"{prefix}: {message}")
    return "; ".join(parts)


def read_rows(mapping: Mapping_, fp: BinaryIO) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, row) for each CSV record; raises `Invalid` for a file it cannot read."""
    text = io.TextIOWrapper(fp, encoding=mapping.encoding, errors=codec_errors(mapping), newline="")
    reader = csv.reader(text, delimiter=mapping.delimiter)
    try:
        header = next(reader, None)
        if not header:
            raise Invalid("The CSV file is empty.", [FieldError("csv", "no header row", "empty")])
        header = [h.strip().lstrip("\ufeff") for h in header]
        readers: dict[str, list[str]] = {}
        for key, spec in _all_specs(mapping):
            for column in spec.columns_read() - set(mapping.columns):
                readers.setdefault(column, []).append(key)
        missing = sorted(set(readers) - set(header))
        if missing:
            raise Invalid(
                "The CSV file lacks the column(s) "
                + ", ".join(f"{m} (read by {', '.join(readers[m])})" for m in missing)
                + " that the mapping reads.",
                [
                    FieldError(f"csv.{m}", f"column missing (read by {', '.join(readers[m])})", "missing")
                    for m in missing
                ],
            )
        number = 1
        for record in reader:
            number += 1
            if mapping.repair_mojibake:
                record = [repair_mojibake(v) for v in record]
            if len(record) > len(header):
                yield number, {"\0error": f"{len(record)} fields where the header has {len(header)}"}
                continue
            if not any(v.strip() for v in record):
                yield number, {"\0error": "blank row"}
                continue
            # A short record (such as the 2009 UPR file's, without its last field) reads
            # the missing trailing fields as blank.
            yield number, dict(zip(header, record + [""] * (len(header) - len(record)), strict=True))
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"The CSV file is not {mapping.encoding} text (byte {exc.start} of a chunk near row "
            f"{reader.line_num}); set [csv] encoding in the mapping.",
            [FieldError("csv.encoding", str(exc), "encoding")],
        ) from exc
    except csv.Error as exc:
        raise Invalid(
            f"The CSV file is malformed near line {reader.line_num}: {exc}.",
            [FieldError("csv", str(exc), "csv")],
        ) from exc
    finally:
        # Leave the caller's file open (and to the caller to close).
        text.detach()


def _all_specs(mapping: Mapping_) -> Iterator[tuple[str, Any]]:
    """Every spec of the mapping, with its key (`columns.state`, `assessment.status`)."""
    for name, spec in mapping.columns.items():
        yield f"columns.{name}", spec
    for section, fields in mapping.sections.items():
        for name, spec in fields.items():
            yield f"{section}.{name}", spec


class _Names:
    """Regulators or organisations by folded name and alias, loaded once per import."""

    def __init__(self, session: Session, model: Any) -> None:
        self.ids: dict[str, int] = {}
        self.name_of: dict[int, str] = {}
        # Ids of records that were there before the import and that it matched.
        self.existing: set[int] = set()
        self.used: set[int] = set()
        for id, name in session.execute(select(model.id, model.name)):
            self.ids.setdefault(fold(name), id)
            self.name_of[id] = name
            self.existing.add(id)
        if model is Organisation:
            for id, alias in session.execute(
                select(OrganisationAlias.organisation_id, OrganisationAlias.alias)
            ):
                self.ids.setdefault(fold(alias), id)


@dataclass
class _Party:
    """A regulator or organisation a decision needs: found in the record, or to be created."""

    key: str  # its folded name
    names: list[str]  # its name, then the aliases it is also found by
    values: dict[str, Any]  # the validated fields it is created with (when it is new)


@dataclass
class _Row:
    number: int
    rec: RecommendationCreate | None
    assessment: AssessmentCreate | None
    organisation: str | None  # the key of the party it is addressed to


@dataclass
class _Plan:
    """One decision, checked and ready to be written."""

    reference: str
    data: DecisionCreate
    regulator: str
    organisations: list[str]
    rows: list[_Row]
    regulator_role: str
    organisation_role: str
    decision_id: int | None = None  # once written

    @property
    def numbers(self) -> list[int]:
        return [r.number for r in self.rows]


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return _validation_reason(exc, exc.title.removesuffix("Create").lower())
    if isinstance(exc, DomainError):
        return exc.detail
    if isinstance(exc, IntegrityError):
        return "the database refused it: " + str(exc.orig).splitlines()[0]
    return str(exc)


@functools.cache
def _logged_columns(model: Any) -> tuple[str, ...]:
    return tuple(
        attr.key for attr in model.__mapper__.column_attrs if attr.key not in ("created_at", "updated_at")
    )


def _audit_row(model: Any, values: dict[str, Any]) -> dict[str, Any]:
    """`audit.row()` of a row written past the ORM: its columns as the per-request path logs
    them (all but the timestamps)."""
    jsonable = audit.jsonable
    return {key: jsonable(values.get(key)) for key in _logged_columns(model)}


def _inserted_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows in one executemany and return their ids, in order.

    The ids are taken first (RETURNING with the rows' order would cost SQLite one statement
    per row): on PostgreSQL from the table's sequence, as any insert would; on SQLite, after
    the largest id, which is safe because the import's transaction holds the database's write
    lock (BEGIN IMMEDIATE) from its first statement.
    """
    if not rows:
        return []
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        ids = list(
            session.scalars(
                text(
                    f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": len(rows)},
            )
        )
    else:
        start = session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0
        ids = list(range(start + 1, start + 1 + len(rows)))
    _insert(session, model, [row | {"id": id} for row, id in zip(rows, ids, strict=True)])
    return ids


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """One executemany of plain rows into the model's table (Core: no ORM bookkeeping)."""
    if rows:
        session.connection().execute(insert(model.__table__), rows)


# Per kind of party: the ones a write created (key -> id), and the names each is found by.
Created = dict[str, tuple[dict[str, int], dict[str, list[str]]]]


class Importer:
    """Plans each decision (every check made before anything is written), then writes the
    planned decisions a batch at a time in bulk statements (see `write`)."""

    def __init__(self, session: Session, mapping: Mapping_) -> None:
        self.session = session
        self.mapping = mapping
        self.report = Report()
        self.regulators = _Names(session, Regulator)
        self.organisations = _Names(session, Organisation)
        # References of the decisions planned but not yet written (a second group with the
        # same reference is matched to the first, as it would be once that is written).
        self.planned: set[str] = set()
        # The record's decisions by reference, read once (one query, not one per decision).
        self.references: dict[str, int] = dict(
            (reference, id)
            for reference, id in session.connection().execute(select(Decision.reference, Decision.id))
        )
        self.today = clock.today()
        self.actor = audit.actor(session)
        self.public_name = audit.public_name(session)
        # New parties that planned decisions need, created when the first of them is written.
        self.pending_regulators: dict[str, _Party] = {}
        self.pending_organisations: dict[str, _Party] = {}
        # The record's decisions as duplicate candidates (app/services/duplicates.py), read once.
        self.candidates = duplicates.load(session)

    # Reading values ----------------------------------------------------------------------

    def _value(self, section: str, name: str, row: dict[str, str]) -> Any:
        spec = self.mapping.spec(section, name)
        if spec is None:
            return [] if name in LIST_FIELDS else None
        label = f"{section}.{name}"
        if name in LIST_FIELDS:
            return spec.items(row, label)
        if name in ("issued_on", "due_on", "assessed_on"):
            return spec.date(row, label)
        return spec.text(row, label)

    def _fields(
        self, section: str, row: dict[str, str], known: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The section's values for the row (`known`: those already read); a required one
        without a value rejects the row."""
        specs = self.mapping.sections.get(section, {})
        known = known or {}
        values = {name: known[name] if name in known else self._value(section, name, row) for name in specs}
        for name, required in FIELDS[section].items():
            if required and values.get(name) is None:
                raise RowError(f"{section}.{name}: {specs[name].why_missing()}")
        return values

    # Parties -----------------------------------------------------------------------------

    def _regulator(self, row: dict[str, str], parties: dict[str, _Party]) -> str:
        values = self._fields("regulator", row)
        name = values.get("name")
        if not name:
            raise RowError("regulator.name: no value")
        name = " ".join(name.split())
        name = self.mapping.regulator_aliases.get(fold(name), name)
        names = [name, *self.mapping.regulator_alias_lists.get(name, [])]
        found = self._known(self.regulators, names)
        if found is not None:
            return found
        try:
            data = RegulatorCreate.model_validate(
                {k: v for k, v in values.items() if v is not None} | {"name": name}
            )
        except ValidationError as exc:
            raise RowError(_validation_reason(exc, "regulator")) from exc
        parties.setdefault(fold(name), _Party(fold(name), [name], data.model_dump()))
        return fold(name)

    def _organisation(self, row: dict[str, str], reference: str, parties: dict[str, _Party]) -> str:
        values = self._fields("organisation", row)
        name = values.get("name")
        if not name:
            raise RowError("organisation.name: no value")
        name = " ".join(name.split())
        aliases: list[str] = []
        if fold(name) in self.mapping.unnamed:
            # A placeholder such as "Unknown" or "Private individual" names no one party:
            # each decision gets its own, named after the decision.
            name = f"{name} ({reference})"
        else:
            name = self.mapping.organisation_aliases.get(fold(name), name)
            aliases = self.mapping.organisation_alias_lists.get(name, [])
        found = self._known(self.organisations, [name, *aliases])
        if found is not None:
            return found
        try:
            data = OrganisationCreate.model_validate(
                {k: v for k, v in values.items() if v is not None} | {"name": name, "aliases": aliases}
            )
        except ValidationError as exc:
            raise RowError(_validation_reason(exc, "organisation")) from exc
        parties.setdefault(fold(name), _Party(fold(name), [name, *aliases], data.model_dump()))
        return fold(name)

    @staticmethod
    def _known(names: _Names, candidates: list[str]) -> str | None:
        """The key of a party already in the record (or written by this import), if any."""
        for candidate in candidates:
            if fold(candidate) in names.ids:
                return fold(candidate)
        return None

    # Planning one decision ---------------------------------------------------------------

    def plan(self, rows: list[tuple[int, dict[str, str]]]) -> _Plan | None:
        """Check one group of rows: None when it is rejected or matched (the report says
        which), else the decision to write."""
        usable = []
        for number, row in rows:
            if "\0error" in row:
                self.report.reject(number, row["\0error"])
                continue
            usable.append((number, row))
        if not usable:
            return None
        _, first = usable[0]
        numbers = [n for n, _ in usable]
        try:
            head = self._fields("decision", first)
            for name, spec in self.mapping.sections["decision"].items():
                if spec.of_group is not None:
                    # The field over the whole group (a report dated by its earliest row).
                    found = [v for _, row in usable if (v := self._value("decision", name, row)) is not None]
                    if found:
                        head[name] = min(found) if spec.of_group == "min" else max(found)
        except RowError as exc:
            self._reject_all(numbers, str(exc))
            return None
        reference = head.get("reference")
        if not reference:
            self._reject_all(numbers, "decision.reference: no value")
            return None
        reference = " ".join(reference.split())
        regulators: dict[str, _Party] = {}
        organisations: dict[str, _Party] = {}
        try:
            regulator = self._regulator(first, regulators)
        except RowError as exc:
            self._reject_all(numbers, str(exc))
            return None
        planned: list[_Row] = []
        for number, row in usable:
            try:
                planned.append(self._row(number, row, reference, organisations))
            except RowError as exc:
                self.report.reject(number, str(exc))
        if not planned:
            return None
        _unique_references(planned, lambda key: self._party_name(key, organisations))
        existing = self.existing_decision(reference)
        # The same act under another reference is matched; a near match is created, and listed.
        same = None if existing is not None else self.candidates.match(self._facts(reference, head, first))
        if same is not None:
            verb = "matched" if same.exact else "created, but possibly the same act as"
            self.report.duplicates.append(
                Rejection(numbers[0], f"{verb} decision {same.decision_id}: {same.reason}")
            )
            existing = same.decision_id if same.exact else None
        if existing is not None:
            self._match(existing, planned)
            return None
        addressees = list(dict.fromkeys(r.organisation for r in planned if r.organisation is not None))
        # Placeholder ids (one per party) for the schema's checks; the real ones are set when
        # the decision is written.
        placeholders = {key: i for i, key in enumerate(addressees, start=1)}
        amount = head.get("penalty_amount")
        regulator_role = head.get("regulator_role") or "lead"
        organisation_role = head.get("organisation_role") or "respondent"
        try:
            data = DecisionCreate.model_validate(
                {
                    "reference": reference,
                    "title": head.get("title"),
                    "kind": head.get("kind"),
                    "issued_on": head.get("issued_on"),
                    "summary": head.get("summary"),
                    "penalty_amount": amount,
                    # A currency without an amount (a fine of 0, a reprimand) is no penalty.
                    "penalty_currency": head.get("penalty_currency") if amount is not None else None,
                    "provisions": [p[:300] for p in head.get("provisions", [])],
                    "tags": head.get("tags", []),
                    "sources": [{"url": url} for url in head.get("sources", [])],
                    "regulators": [{"regulator_id": 1, "role": regulator_role}],
                    "organisations": [
                        {"organisation_id": placeholders[key], "role": organisation_role}
                        for key in addressees
                    ],
                }
            )
            for r in planned:
                if r.assessment is not None:
                    recommendations.check_assessed_on(r.assessment, self.today)
        except (ValidationError, DomainError) as exc:
            self._reject_all([r.number for r in planned], _reason(exc))
            return None
        # A party not yet in the record is created as its first row describes it.
        self.pending_regulators = regulators | self.pending_regulators
        self.pending_organisations = organisations | self.pending_organisations
        self.planned.add(reference)
        return _Plan(
            reference,
            data,
            regulator,
            addressees,
            planned,
            data.regulators[0].role.value,
            data.organisations[0].role.value if data.organisations else organisation_role,
        )

    def _facts(self, reference: str, head: dict[str, Any], first: dict[str, str]) -> duplicates.Facts:
        """What identifies this decision, before its parties are written: their names (the
        mapping's aliases included) and, where already recorded, their ids."""
        names: dict[str, list[str]] = {"regulator": [], "organisation": []}
        for section in names:
            try:
                name = self._fields(section, first).get("name") if self.mapping.has(section) else None
            except RowError:
                name = None  # the row is refused when its parties are written
            if not name or (section == "organisation" and fold(name) in self.mapping.unnamed):
                continue
            name = " ".join(name.split())
            if section == "regulator":
                name = self.mapping.regulator_aliases.get(fold(name), name)
                names[section] = [name, *self.mapping.regulator_alias_lists.get(name, [])]
            else:
                name = self.mapping.organisation_aliases.get(fold(name), name)
                names[section] = [name, *self.mapping.organisation_alias_lists.get(name, [])]

        def keys(section: str, known: _Names) -> frozenset[str]:
            ids = {f"#{known.ids[fold(n)]}" for n in names[section] if fold(n) in known.ids}
            return frozenset({duplicates.name_key(n) for n in names[section]} | ids)

        amount, currency = head.get("penalty_amount"), head.get("penalty_currency")
        try:
            penalty = (Decimal(amount), currency.upper()) if amount and currency else None
        except ArithmeticError:
            penalty = None
        return duplicates.Facts(
            None,
            reference,
            head["issued_on"],
            keys("regulator", self.regulators),
            keys("organisation", self.organisations) if names["organisation"] else frozenset(),
            penalty,
        )

    def _party_name(self, key: str, organisations: dict[str, _Party]) -> str:
        """An organisation's name by its key: the record's, or the one it will be created with."""
        if key in self.organisations.ids:
            return self.organisations.name_of.get(self.organisations.ids[key], key)
        party = organisations.get(key) or self.pending_organisations.get(key)
        return party.names[0] if party is not None else key

    def _row(
        self, number: int, row: dict[str, str], reference: str, organisations: dict[str, _Party]
    ) -> _Row:
        addressee = (
            self._organisation(row, reference, organisations) if self.mapping.has("organisation") else None
        )
        if not self.mapping.has("recommendation"):
            return _Row(number, None, None, addressee)
        values = {k: v for k, v in self._fields("recommendation", row).items() if v is not None}
        try:
            # Placeholder ids; the real ones are set when the decision is written.
            rec = RecommendationCreate.model_validate(values | {"decision_id": 1, "organisation_id": 1})
        except ValidationError as exc:
            raise RowError(_validation_reason(exc, "recommendation")) from exc
        assessment = None
        if self.mapping.has("assessment"):
            # No status (such as an "unknown" position) means no assessment for this row.
            status = self.mapping.sections["assessment"]["status"].text(row, "assessment.status")
            if status is not None:
                fields = self._fields("assessment", row, known={"status": status})
                try:
                    assessment = AssessmentCreate.model_validate(
                        {k: v for k, v in fields.items() if v is not None}
                    )
                except ValidationError as exc:
                    raise RowError(_validation_reason(exc, "assessment")) from exc
        return _Row(number, rec, assessment, addressee)

    def existing_decision(self, reference: str) -> int | None:
        """The decision already in the record that these rows are (None: a new one).

        The one place an import asks whether a decision is already there: matched by its
        reference, or planned earlier in this import under the same reference (-1).
        """
        if reference in self.planned:
            return -1
        return self.references.get(reference)

    def _match(self, decision_id: int, rows: list[_Row]) -> None:
        """Rows of a decision already in the record: each recommendation is found in it (by
        its reference, else its text and addressee); nothing is added to a decision there."""
        self.report.counts["decisions"]["matched"] += 1
        self.report.matched += len(rows)
        if decision_id == -1 or not self.mapping.has("recommendation"):
            return
        there = Counter(
            (reference, None if reference else text)
            for reference, text in self.session.execute(
                select(Recommendation.reference, Recommendation.text).where(
                    Recommendation.decision_id == decision_id
                )
            )
        )
        for r in rows:
            assert r.rec is not None
            key = (r.rec.reference, None if r.rec.reference else r.rec.text)
            if there[key] > 0:
                there[key] -= 1
                self.report.counts["recommendations"]["matched"] += 1

    def _reject_all(self, numbers: list[int], reason: str) -> None:
        for number in numbers:
            self.report.reject(number, reason)

    # Writing -----------------------------------------------------------------------------

    def write(self, plans: list[_Plan]) -> None:
        """Write the planned decisions in bulk, in one savepoint. Should the database refuse
        any of it, each decision is written again in a savepoint of its own, and only the
        ones it refuses are rejected: whole decisions, never a part of one."""
        if not plans:
            return
        savepoint = self.session.begin_nested()
        try:
            created = self._write(plans)
            savepoint.commit()
        except (DomainError, ValidationError, IntegrityError) as exc:
            savepoint.rollback()
            if len(plans) > 1:
                for plan in plans:
                    self.write([plan])
                return
            self._reject_all(plans[0].numbers, _reason(exc))
            return
        self._count(plans, created)

    def _count(self, plans: list[_Plan], created: "Created") -> None:
        for kind, (key_ids, names) in created.items():
            cache = self.regulators if kind == "regulators" else self.organisations
            for key, id in key_ids.items():
                for name in names[key]:
                    cache.ids.setdefault(fold(name), id)
                cache.ids[key] = id
                cache.name_of[id] = names[key][0]
            self.report.counts[kind]["created"] += len(key_ids)
        for plan in plans:
            assert plan.decision_id is not None
            self.references[plan.reference] = plan.decision_id
            self.report.counts["decisions"]["created"] += 1
            self.report.created += len(plan.rows)
            recs = [r for r in plan.rows if r.rec is not None and r.organisation is not None]
            self.report.counts["recommendations"]["created"] += len(recs)
            self.report.counts["assessments"]["created"] += sum(r.assessment is not None for r in recs)
            self.report.statuses.update(r.assessment.status.value for r in recs if r.assessment is not None)
            self.regulators.used.add(self.regulators.ids[plan.regulator])
            for key in plan.organisations:
                self.organisations.used.add(self.organisations.ids[key])

    def _parties(
        self, plans: list[_Plan], kind: str, audit_entries: list[dict[str, Any]]
    ) -> tuple[dict[str, int], dict[str, Any]]:
        """The ids of the parties the plans need, creating the new ones; (ids by key, and the
        created ones as {"created": {key: id}, "names": {key: names}})."""
        cache = self.regulators if kind == "regulators" else self.organisations
        pending = self.pending_regulators if kind == "regulators" else self.pending_organisations
        keys = (
            [p.regulator for p in plans]
            if kind == "regulators"
            else [k for p in plans for k in p.organisations]
        )
        ids = {k: cache.ids[k] for k in keys if k in cache.ids}
        new = [pending[k] for k in dict.fromkeys(keys) if k not in ids]
        if not new:
            return ids, {"created": {}, "names": {}}
        now = dt.datetime.now(dt.UTC)
        model = Regulator if kind == "regulators" else Organisation
        rows = [
            {k: v for k, v in party.values.items() if k != "aliases"}
            | {"version": 1, "created_at": now, "updated_at": now}
            for party in new
        ]
        new_ids = _inserted_ids(self.session, model, rows)
        aliases = []
        for party, id, row in zip(new, new_ids, rows, strict=True):
            ids[party.key] = id
            after = _audit_row(model, row | {"id": id})
            if kind == "organisations":
                names = party.values.get("aliases", [])
                aliases += [{"organisation_id": id, "position": i, "alias": a} for i, a in enumerate(names)]
                after["aliases"] = list(names)
            audit_entries.append(self._audit(kind[:-1], id, after))
        if aliases:
            _insert(self.session, OrganisationAlias, aliases)
        return ids, {
            "created": {party.key: ids[party.key] for party in new},
            "names": {party.key: party.names for party in new},
        }

    def _audit(self, entity: str, entity_id: int, after: dict[str, Any]) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "action": "create",
            "entity": entity,
            "entity_id": entity_id,
            "before": None,
            "after": after,
        }

    def _write(self, plans: list[_Plan]) -> "Created":
        entries: list[dict[str, Any]] = []
        regulator_ids, new_regulators = self._parties(plans, "regulators", entries)
        organisation_ids, new_organisations = self._parties(plans, "organisations", entries)
        now = dt.datetime.now(dt.UTC)
        # Decisions, with the compliance their recommendations give them.
        decision_rows = []
        for plan in plans:
            values = plan.data.model_dump(exclude={*CHILDREN})
            statuses = Counter(
                r.assessment.status if r.assessment is not None else Status.pending
                for r in plan.rows
                if r.rec is not None
            )
            decision_rows.append(
                values
                | {
                    "compliance": compliance.derive_compliance(statuses).value,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        decision_ids = _inserted_ids(self.session, Decision, decision_rows)
        parts: dict[Any, list[dict[str, Any]]] = {
            DecisionRegulator: [],
            DecisionOrganisation: [],
            DecisionProvision: [],
            DecisionSource: [],
            DecisionTag: [],
        }
        recommendation_rows: list[dict[str, Any]] = []
        owners: list[tuple[int, _Row]] = []
        for plan, decision_id, row in zip(plans, decision_ids, decision_rows, strict=True):
            plan.decision_id = decision_id
            regulator_id = regulator_ids[plan.regulator]
            parts[DecisionRegulator].append(
                {
                    "decision_id": decision_id,
                    "regulator_id": regulator_id,
                    "role": plan.regulator_role,
                    "position": 0,
                }
            )
            for i, key in enumerate(plan.organisations):
                parts[DecisionOrganisation].append(
                    {
                        "decision_id": decision_id,
                        "organisation_id": organisation_ids[key],
                        "role": plan.organisation_role,
                        "position": i,
                    }
                )
            for i, provision in enumerate(plan.data.provisions):
                parts[DecisionProvision].append(
                    {"decision_id": decision_id, "position": i, "provision": provision}
                )
            sources = [s.model_dump() for s in plan.data.sources]
            for i, source in enumerate(sources):
                parts[DecisionSource].append(source | {"decision_id": decision_id, "position": i})
            tags = sorted(plan.data.tags)
            parts[DecisionTag] += [{"decision_id": decision_id, "tag": t} for t in tags]
            # The decision's audit entry as `decisions.create` writes it (before its
            # recommendations are added: compliance `none`).
            entries.append(
                self._audit(
                    "decision",
                    decision_id,
                    _audit_row(Decision, row | {"id": decision_id, "compliance": Compliance.none.value})
                    | {
                        "regulators": [{"regulator_id": regulator_id, "role": plan.regulator_role}],
                        "organisations": [
                            {"organisation_id": organisation_ids[k], "role": plan.organisation_role}
                            for k in plan.organisations
                        ],
                        "findings": [],
                        "provisions": list(plan.data.provisions),
                        "sources": [
                            {k: audit.jsonable(s[k]) for k in ("url", "title", "publisher", "published_on")}
                            for s in sources
                        ],
                        "tags": tags,
                        "related": [],
                    },
                )
            )
            for r in plan.rows:
                if r.rec is None or r.organisation is None:
                    continue
                values = r.rec.model_dump() | {
                    "decision_id": decision_id,
                    "organisation_id": organisation_ids[r.organisation],
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "status": Status.pending.value,
                    "last_assessed_on": None,
                }
                recommendation_rows.append(values)
                owners.append((decision_id, r))
        for model, rows in parts.items():
            _insert(self.session, model, rows)
        # Recommendations are inserted with the status their assessment gives them; their audit
        # entries show them as created (pending, before the assessment), as the services log.
        written = [
            v
            | (
                {"status": r.assessment.status.value, "last_assessed_on": r.assessment.assessed_on}
                if r.assessment
                else {}
            )
            for v, (_, r) in zip(recommendation_rows, owners, strict=True)
        ]
        rec_ids = _inserted_ids(self.session, Recommendation, written)
        assessment_rows = []
        for rec_id, values, (_, r) in zip(rec_ids, recommendation_rows, owners, strict=True):
            entries.append(
                self._audit("recommendation", rec_id, _audit_row(Recommendation, values | {"id": rec_id}))
            )
            if r.assessment is not None:
                assessment_rows.append(
                    r.assessment.model_dump()
                    | {
                        "recommendation_id": rec_id,
                        "recorded_by": self.actor,
                        "recorded_by_name": self.public_name,
                        "recorded_at": now,
                    }
                )
        assessment_ids = _inserted_ids(self.session, Assessment, assessment_rows)
        for id, values in zip(assessment_ids, assessment_rows, strict=True):
            entries.append(self._audit("assessment", id, _audit_row(Assessment, values | {"id": id})))
        # One audit entry per created record, in the order the services would write them.
        _insert(self.session, AuditEntry, [e | {"at": now} for e in entries])
        # Written past the ORM: their read documents are made before the commit.
        documents.touch(self.session, decision_ids)
        outbox.note_created(
            self.session,
            decisions=decision_ids,
            assessments=assessment_ids,
            statuses=[
                (rec_id, Status.pending.value, r.assessment.status.value)
                for rec_id, (_, r) in zip(rec_ids, owners, strict=True)
                if r.assessment is not None and r.assessment.status != Status.pending
            ],
        )
        self.pending_regulators = {
            k: v for k, v in self.pending_regulators.items() if k not in new_regulators["created"]
        }
        self.pending_organisations = {
            k: v for k, v in self.pending_organisations.items() if k not in new_organisations["created"]
        }
        return {
            "regulators": (new_regulators["created"], new_regulators["names"]),
            "organisations": (new_organisations["created"], new_organisations["names"]),
        }


def _unique_references(rows: list[_Row], name: Callable[[str], str]) -> None:
    """A reference given to several rows of one decision (TAIC's `012/21`, one recommendation
    made to two parties) is kept by the first; each later one gets its addressee's name in
    brackets (`012/21 (KiwiRail)`), or its place among them (`012/21 (2)`) for the same
    addressee. The same file therefore always gives the same references."""
    seen: Counter[str] = Counter()
    taken = {r.rec.reference for r in rows if r.rec is not None and r.rec.reference}
    for r in rows:
        if r.rec is None or not r.rec.reference:
            continue
        reference = r.rec.reference
        seen[reference] += 1
        if seen[reference] == 1:
            continue
        addressee = name(r.organisation) if r.organisation else ""
        candidate = f"{reference} ({addressee})"[:100] if addressee else ""
        if not candidate or candidate in taken:
            candidate = f"{reference} ({seen[reference]})"
        taken.add(candidate)
        r.rec = r.rec.model_copy(update={"reference": candidate})


def import_csv(
    session: Session,
    mapping: Mapping_,
    fp: BinaryIO,
    *,
    checkpoint: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH,
) -> Report:
    """Import the CSV in `fp` as `mapping` says; return what was created, matched, rejected.

    Decisions are planned one by one (every check made before anything is written) and
    written `batch` at a time in bulk statements, each batch followed by `checkpoint` (the
    command line commits there): an interrupted import has written whole batches only, and
    run again it matches those and writes the rest.
    """
    groups: dict[Any, list[tuple[int, dict[str, str]]]] = {}
    rows = 0
    for number, row in read_rows(mapping, fp):
        rows += 1
        key: Any = ("row", number)
        if "\0error" not in row:
            # Derived columns are computed once, here; the plan reads them.
            try:
                mapping.derive(row)
                if mapping.group_by:
                    key = tuple(row.get(c, "") for c in mapping.group_by)
            except RowError as exc:
                row = {"\0error": str(exc)}
        groups.setdefault(key, []).append((number, row))
    importer = Importer(session, mapping)
    importer.report.rows = rows
    done = 0
    plans: list[_Plan] = []

    def flush() -> None:
        importer.write(plans)
        plans.clear()
        importer.planned.clear()
        if checkpoint is not None:
            checkpoint()

    for group in groups.values():
        plan = importer.plan(group)
        if plan is not None:
            plans.append(plan)
        done += len(group)
        if len(plans) >= batch:
            flush()
        if progress is not None:
            progress(done, rows)
    flush()
    report = importer.report
    report.counts["regulators"]["matched"] = len(importer.regulators.used & importer.regulators.existing)
    report.counts["organisations"]["matched"] = len(
        importer.organisations.used & importer.organisations.existing
    )
    return report


def import_csv_file(
    session: Session,
    mapping: Mapping_,
    path: Path,
    **kwargs: Any,
) -> Report:
    with path.open("rb") as fp:
        return import_csv(session, mapping, fp, **kwargs)
