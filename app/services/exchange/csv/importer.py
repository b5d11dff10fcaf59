"""Import decisions and recommendations from any CSV file, driven by a mapping file.

Rows are grouped into decisions (by the mapping's `group_by` columns; one row each without
it). For each decision:

- a decision whose reference is already in the record is *matched* (`Importer.
  existing_decision`, the one place that asks): nothing is written, so importing the same
  file twice creates nothing new;
- so is the same act under another reference (app/services/record/duplicates.py, over candidates
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
  index (the database's triggers), the read documents and alert notes (`hooks`). A batch is one savepoint; a
  refused batch is written again decision by decision, so a decision is whole or not at all.

Reading the file is app/services/exchange/csv/rows.py, planning app/services/exchange/csv/plan.py, the bulk
statements app/services/exchange/csv/bulk.py; this module writes the plans and runs the whole import.

The caller owns the transaction: `checkpoint` is called after each batch (the command line
commits there), and a dry run simply rolls everything back at the end.
"""

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import DomainError
from app.models import (
    Assessment,
    AuditEntry,
    Decision,
    DecisionOrganisation,
    DecisionProvision,
    DecisionRegulator,
    DecisionSource,
    DecisionTag,
    ImportedRow,
    ImportRun,
    Organisation,
    OrganisationAlias,
    Recommendation,
    RecommendationParty,
    Regulator,
)
from app.services import compliance, hooks
from app.services.exchange.csv.bulk import audit_row, insert_rows, inserted_ids
from app.services.exchange.csv.mapping import Mapping_, RowError, fold
from app.services.exchange.csv.plan import Planner
from app.services.exchange.csv.rows import Plan, PlannedRow, Rejection, Report, read_rows, reason_of
from app.services.record import payments, recommending
from app.services.record.decisions import CHILDREN
from app.services.shared import audit
from app.vocab import Compliance, Origin, Review, Status

# Kept importable from here (the command line, the API and the tests use them).
__all__ = ["BATCH", "Importer", "Rejection", "Report", "import_csv", "import_csv_file", "read_rows"]

BATCH = 200

# Per kind of party: the ones a write created (key -> id), and the names each is found by.
Created = dict[str, tuple[dict[str, int], dict[str, list[str]]]]


class Importer(Planner):
    """Plans each decision (`Planner`: every check made before anything is written), then
    writes the planned decisions a batch at a time in bulk statements (see `write`)."""

    # The file (name, SHA-256, rows) and, once it has written something, the run this import
    # is (where its records came from).
    source: tuple[str | None, str, int] | None = None
    run: ImportRun | None = None
    # The payment obligations the batch being written made (counted once it is kept).
    obligations: int = 0

    # Writing -----------------------------------------------------------------------------

    def write(self, plans: list[Plan]) -> None:
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
            self._reject_all(plans[0].numbers, reason_of(exc))
            return
        self._count(plans, created)

    def _count(self, plans: list[Plan], created: "Created") -> None:
        for kind, (key_ids, names) in created.items():
            cache = self.regulators if kind == "regulators" else self.organisations
            for key, id in key_ids.items():
                for name in names[key]:
                    cache.ids.setdefault(fold(name), id)
                cache.ids[key] = id
                cache.name_of[id] = names[key][0]
            self.report.counts[kind]["created"] += len(key_ids)
        # The payment obligations of the batch's penalties (`_write`).
        self.report.counts["recommendations"]["created"] += self.obligations
        self.obligations = 0
        for plan in plans:
            assert plan.decision_id is not None
            self.references[plan.reference] = plan.decision_id
            self.report.counts["decisions"]["created"] += 1
            # Rows, not recommendations: a row made to several parties is one row.
            self.report.created += len(set(plan.numbers))
            recs = [r for r in plan.rows if r.rec is not None and r.organisation is not None]
            self.report.counts["recommendations"]["created"] += len(recs)
            self.report.folded += sum(len(r.folded) for r in recs)
            self.report.counts["assessments"]["created"] += sum(r.assessment is not None for r in recs)
            self.report.statuses.update(r.assessment.status.value for r in recs if r.assessment is not None)
            self.report.suggested.update(
                r.assessment.status.value for r in recs if r.assessment is not None and r.counted is None
            )
            self.regulators.used.add(self.regulators.ids[plan.regulator])
            for key in [*plan.organisations, *(k for r in plan.rows for k in r.recommended_by)]:
                self.organisations.used.add(self.organisations.ids[key])

    def _parties(
        self, plans: list[Plan], kind: str, audit_entries: list[dict[str, Any]]
    ) -> tuple[dict[str, int], dict[str, Any]]:
        """The ids of the parties the plans need, creating the new ones; (ids by key, and the
        created ones as {"created": {key: id}, "names": {key: names}})."""
        cache = self.regulators if kind == "regulators" else self.organisations
        pending = self.pending_regulators if kind == "regulators" else self.pending_organisations
        keys = (
            [p.regulator for p in plans]
            if kind == "regulators"
            # The addressees, and the parties that made recommendations (folding.py).
            else [
                k for p in plans for k in [*p.organisations, *(k for r in p.rows for k in r.recommended_by)]
            ]
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
        new_ids = inserted_ids(self.session, model, rows)
        aliases = []
        for party, id, row in zip(new, new_ids, rows, strict=True):
            ids[party.key] = id
            after = audit_row(model, row | {"id": id})
            if kind == "organisations":
                names = party.values.get("aliases", [])
                aliases += [{"organisation_id": id, "position": i, "alias": a} for i, a in enumerate(names)]
                after["aliases"] = list(names)
                after["former_parents"] = []  # A CSV names no parent (organisations.snapshot).
            audit_entries.append(self._audit(kind[:-1], id, after))
        if aliases:
            insert_rows(self.session, OrganisationAlias, aliases)
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

    def _write(self, plans: list[Plan]) -> "Created":
        entries: list[dict[str, Any]] = []
        regulator_ids, new_regulators = self._parties(plans, "regulators", entries)
        organisation_ids, new_organisations = self._parties(plans, "organisations", entries)
        now = dt.datetime.now(dt.UTC)
        decision_rows = [_decision_row(plan, now) for plan in plans]
        decision_ids = inserted_ids(self.session, Decision, decision_rows)
        parts: dict[Any, list[dict[str, Any]]] = {model: [] for model in PART_MODELS}
        recommendation_rows: list[dict[str, Any]] = []
        owners: list[tuple[int, PlannedRow]] = []
        for plan, decision_id, row in zip(plans, decision_ids, decision_rows, strict=True):
            plan.decision_id = decision_id
            after = _decision_parts(plan, decision_id, regulator_ids[plan.regulator], organisation_ids, parts)
            # The decision's audit entry as `decision_edits.create` writes it (before its
            # recommendations are added: compliance `none`).
            row_after = audit_row(Decision, row | {"id": decision_id, "compliance": Compliance.none.value})
            entries.append(self._audit("decision", decision_id, row_after | after))
            for r in plan.rows:
                if r.rec is None or r.organisation is None:
                    continue
                recommendation_rows.append(
                    r.rec.model_dump()
                    | {
                        "decision_id": decision_id,
                        "organisation_id": organisation_ids[r.organisation],
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                        "status": Status.pending.value,
                        "last_assessed_on": None,
                    }
                )
                owners.append((decision_id, r))
        for model, rows in parts.items():
            insert_rows(self.session, model, rows)
        rec_ids, assessment_ids = self._recommendations(
            recommendation_rows, owners, entries, now, organisation_ids
        )
        self._provenance(plans, decision_ids, rec_ids, assessment_ids, owners)
        # One audit entry per created record, in the order the services would write them.
        insert_rows(self.session, AuditEntry, [e | {"at": now} for e in entries])
        # Each penalised decision's payment obligation, as `decision_edits.create` makes it.
        # (Counted with the batch's recommendations once it is kept: `_count`.)
        self.obligations = len(payments.follow_many(self.session, decision_ids, actor=self.actor, now=now))
        # Written past the ORM: their read documents and alert events are made before the commit.
        hooks.note_bulk_write(
            self.session,
            new_decisions=decision_ids,
            new_organisations=new_organisations["created"].values(),
            new_assessments=assessment_ids,
            statuses=[
                (rec_id, Status.pending.value, counted.status.value)
                for rec_id, (_, r) in zip(rec_ids, owners, strict=True)
                if (counted := r.counted) is not None and counted.status != Status.pending
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

    def _provenance(
        self,
        plans: list[Plan],
        decision_ids: list[int],
        rec_ids: list[int],
        assessment_ids: list[int],
        owners: list[tuple[int, PlannedRow]],
    ) -> None:
        """Each created record and the row of the file it came from (a decision: its first row)."""
        if self.run is None:
            if self.source is None:
                return
            # Recorded with its first written batch: an import that creates nothing (the same
            # file again) leaves the record as it was.
            self.run = _start_run(self.session, self.mapping, *self.source)
        assessed = [r for _, r in owners if r.assessment is not None]
        made = (
            [("decision", i, p.rows[0].number) for i, p in zip(decision_ids, plans, strict=True) if p.rows]
            + [("recommendation", i, r.number) for i, (_, r) in zip(rec_ids, owners, strict=True)]
            + [("assessment", i, r.number) for i, r in zip(assessment_ids, assessed, strict=True)]
        )
        insert_rows(
            self.session,
            ImportedRow,
            [{"import_id": self.run.id, "record_type": t, "record_id": i, "row": n} for t, i, n in made],
        )

    def _recommendations(
        self,
        rows: list[dict[str, Any]],
        owners: list[tuple[int, PlannedRow]],
        entries: list[dict[str, Any]],
        now: dt.datetime,
        organisation_ids: dict[str, int],
    ) -> tuple[list[int], list[int]]:
        """Insert the recommendations and their assessments; (their ids, the assessments' ids).

        Recommendations are inserted with the state their assessment gives them (its status
        when it counts, its suggestion when it does not: compliance.state_of); their audit
        entries show them as created (pending, before the assessment), as the services log."""
        written = [v | _state(r) for v, (_, r) in zip(rows, owners, strict=True)]
        rec_ids = inserted_ids(self.session, Recommendation, written)
        assessment_rows = []
        parties: list[dict[str, Any]] = []
        for rec_id, values, (_, r) in zip(rec_ids, rows, owners, strict=True):
            made_by = [organisation_ids[k] for k in r.recommended_by]
            parties += recommending.rows(rec_id, made_by)
            after = audit_row(Recommendation, values | {"id": rec_id}) | {"recommended_by": made_by}
            entries.append(self._audit("recommendation", rec_id, after))
            if r.assessment is not None:
                assessment_rows.append(
                    r.assessment.model_dump()
                    | r.provenance
                    | {
                        "recommendation_id": rec_id,
                        "recorded_by": self.actor,
                        "recorded_by_name": self.public_name,
                        "recorded_at": now,
                        "version": 1,
                    }
                )
        insert_rows(self.session, RecommendationParty, parties)
        assessment_ids = inserted_ids(self.session, Assessment, assessment_rows)
        for id, values in zip(assessment_ids, assessment_rows, strict=True):
            entries.append(self._audit("assessment", id, audit_row(Assessment, values | {"id": id})))
        return rec_ids, assessment_ids


# The tables of a decision's parts that an import writes, in the order they are inserted.
PART_MODELS = (DecisionRegulator, DecisionOrganisation, DecisionProvision, DecisionSource, DecisionTag)


def _state(r: PlannedRow) -> dict[str, Any]:
    """The kept columns of a new recommendation with (at most) this one assessment."""
    counted = r.counted
    if counted is not None:
        return {
            "status": counted.status.value,
            "last_assessed_on": counted.assessed_on,
            "status_origin": r.provenance.get("origin", Origin.entered.value),
            "status_reviewed": r.provenance.get("review", Review.not_needed.value) != Review.awaiting.value,
            "suggested_status": None,
        }
    suggested = r.assessment.status.value if r.assessment is not None else None
    return {"status_origin": None, "status_reviewed": None, "suggested_status": suggested}


def _decision_row(plan: Plan, now: dt.datetime) -> dict[str, Any]:
    """The decision's row, with the compliance its recommendations' counted statuses give it."""
    statuses = Counter(
        counted.status if (counted := r.counted) is not None else Status.pending
        for r in plan.rows
        if r.rec is not None
    )
    return plan.data.model_dump(exclude={*CHILDREN}) | {
        "compliance": compliance.derive_compliance(statuses).value,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def _decision_parts(
    plan: Plan,
    decision_id: int,
    regulator_id: int,
    organisation_ids: dict[str, int],
    parts: dict[Any, list[dict[str, Any]]],
) -> dict[str, Any]:
    """Queue the decision's parts in `parts`; return them as its audit entry shows them."""
    parts[DecisionRegulator].append(
        {"decision_id": decision_id, "regulator_id": regulator_id, "role": plan.regulator_role, "position": 0}
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
        parts[DecisionProvision].append({"decision_id": decision_id, "position": i, "provision": provision})
    sources = [s.model_dump() for s in plan.data.sources]
    for i, source in enumerate(sources):
        parts[DecisionSource].append(source | {"decision_id": decision_id, "position": i})
    tags = sorted(plan.data.tags)
    parts[DecisionTag] += [{"decision_id": decision_id, "tag": t} for t in tags]
    return {
        "regulators": [{"regulator_id": regulator_id, "role": plan.regulator_role}],
        "organisations": [
            {"organisation_id": organisation_ids[k], "role": plan.organisation_role}
            for k in plan.organisations
        ],
        "findings": [],
        "provisions": list(plan.data.provisions),
        "sources": [{k: audit.jsonable(v) for k, v in s.items()} for s in sources],
        "tags": tags,
        "related": [],
        "reported_amounts": [],
    }


def import_csv(
    session: Session,
    mapping: Mapping_,
    fp: BinaryIO,
    *,
    checkpoint: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH,
    file_name: str | None = None,
) -> Report:
    """Import the CSV in `fp` as `mapping` says; return what was created, matched, rejected.

    Decisions are planned one by one (every check made before anything is written) and
    written `batch` at a time in bulk statements, each batch followed by `checkpoint` (the
    command line commits there): an interrupted import has written whole batches only, and
    run again it matches those and writes the rest.
    """
    # The file's own hash, read first (the file is read again from its start below).
    digest = hashlib.sha256()
    for chunk in iter(lambda: fp.read(1 << 20), b""):
        digest.update(chunk)
    fp.seek(0)
    file_sha256 = digest.hexdigest()
    groups: dict[Any, list[tuple[int, dict[str, str]]]] = {}
    rows = 0
    split = 0
    for number, read in read_rows(mapping, fp):
        rows += 1
        try:
            # A row made to several parties is one row for each, with its own replies.
            parts = [read] if "\0error" in read else mapping.parties_of(read)
        except RowError as exc:
            parts = [{"\0error": str(exc)}]
        split += len(parts) > 1
        for row in parts:
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
    importer.source = (file_name, file_sha256, rows)
    importer.report.rows = rows
    importer.report.split = split
    done = 0
    plans: list[Plan] = []

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
        return import_csv(session, mapping, fp, file_name=path.name, **kwargs)


def _start_run(
    session: Session, mapping: Mapping_, file_name: str | None, file_sha256: str, rows: int
) -> ImportRun:
    """The record of this import: the data set, the file (its name and SHA-256), the mapping."""
    run = ImportRun(
        dataset=mapping.dataset or mapping.description or mapping.name or "CSV import",
        dataset_url=mapping.dataset_url,
        caveats=list(mapping.caveats),
        mapping=mapping.name or "mapping",
        file_name=file_name or "uploaded file",
        file_sha256=file_sha256,
        rows=rows,
        imported_by=audit.actor(session),
    )
    session.add(run)
    session.flush()
    return run
