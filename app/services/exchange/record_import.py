"""The whole record out as one JSON document, and back in to an empty instance.

Format `findings-tracker-record`, version 1 (described in docs/export-format.md): a JSON
object with `format` and `version`, then one array per section in this order — regulators,
organisations, cases, decisions (with all their parts), recommendations, assessments — each
item on its own line, ordered by id. Ids, versions and timestamps are kept, so an export
imported into an empty instance and exported again gives the same bytes. Derived values
(statuses, compliance, standing) are left out: they follow from the history, and import
derives them again with the compliance rules.

Export (app/services/exchange/record_export.py) pages through each table by id (keyset), so memory
stays flat; import (here) reads the document item by item (`jsonstream`), checks every
item, writes in batches, and is all-or-nothing: the caller's transaction is rolled back on
the first error report.
"""

import datetime as dt
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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
    DecisionReportedAmount,
    DecisionSource,
    DecisionTag,
    Document,
    DocumentPage,
    Finding,
    Organisation,
    OrganisationAlias,
    OrganisationFormerParent,
    Recommendation,
    RecommendationParty,
    Regulator,
)
from app.models.base import table_of
from app.schemas.fields import is_list
from app.schemas.record import ITEM_MODELS, SECTIONS, SECTIONS_OF, DecisionItem
from app.services import compliance, hooks
from app.services.evidence import storage
from app.services.exchange import jsonstream, record_checks
from app.services.exchange.record_checks import (
    Batches,
    Errors,
    check_header,
    check_order,
    field_path,
    reset_sequences,
)
from app.services.exchange.record_export import consistent_read, export_record
from app.services.record import ownership, payments, recommending
from app.services.shared import audit
from app.vocab import RecommendationKind, Status

# Kept importable from here (the command line and the API use them).
__all__ = ["consistent_read", "export_record", "import_record", "is_empty", "reset_sequences"]


# A decision item's parts (its lists), written to tables of their own.
DECISION_PARTS = {name for name, info in DecisionItem.model_fields.items() if is_list(info.annotation)}
ENTITIES = (Regulator, Organisation, Case, Document, Decision, Recommendation)


def is_empty(session: Session) -> bool:
    return all(session.scalar(select(model.id).limit(1)) is None for model in ENTITIES)


class _Importer:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.errors = Errors()
        self.batches = Batches(session)
        self.actor = audit.actor(session)
        self.now = dt.datetime.now(dt.UTC)
        self.ids: dict[str, set[int]] = {s: set() for s in SECTIONS}
        self.child_ids: dict[str, set[int]] = {"findings": set(), "sources": set()}
        self.regulator_names: set[str] = set()
        self.references: set[str] = set()
        self.recommendation_references: set[tuple[int, int, str]] = set()
        # organisation id -> (its periods under each parent, the former ones then the current, index)
        self.parents: dict[int, tuple[list[ownership.Period], int]] = {}
        self.payments: dict[int, int] = {}  # payment obligation id -> its decision id
        self.issued_on: dict[int, dt.date] = {}
        self.languages: dict[int, str] = {}
        self.related: list[tuple[int, int, Any]] = []  # (decision index, decision id, related list)
        self.counts: dict[str, int] = {s: 0 for s in SECTIONS}
        self.wanted_bytes: dict[str, str] = {}  # SHA-256 of the documents' bytes -> where named
        self.blob_hashes: set[str] = set()

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
        for error in ownership.check_periods(
            m.id, m.parent_id, m.parent_since, m.former_parents, prefix=f"organisations[{i}]."
        ):
            self.errors.add(error.field, error.message, error.type)
        if m.parent_id is not None or m.former_parents:
            self.parents[m.id] = (ownership.periods(m.parent_id, m.parent_since, m.former_parents), i)
        self.batches.add(
            Organisation, m.model_dump(exclude={"aliases", "former_parents"}) | {"parent_id": None}
        )
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
        if not self._new_id("decisions", i, m.id):
            return
        self._check_decision(i, m)
        values = m.model_dump(exclude=DECISION_PARTS)
        self.batches.add(Decision, values | {"compliance": "none"})
        self._queue_parts(m)
        self._audit("decision", m.id, raw)

    def _check_decision(self, i: int, m: Any) -> None:
        """The decision's references to earlier items; its reference and parts' ids seen once."""
        where = f"decisions[{i}]"
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
        for j, source in enumerate(m.sources):
            self._ref(f"{where}.sources[{j}].document_id", "documents", source.document_id)
        for part, items in (("findings", m.findings), ("sources", m.sources)):
            for j, child in enumerate(items):
                if child.id in self.child_ids[part]:
                    self.errors.add(f"{where}.{part}[{j}].id", f"id {child.id} appears twice", "unique")
                self.child_ids[part].add(child.id)
        self.issued_on[m.id] = m.issued_on
        self.languages[m.id] = m.language
        if m.related:
            self.related.append((i, m.id, m.related))

    def _queue_parts(self, m: Any) -> None:
        """The decision's parts, each row with its place in its list."""
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
        for j, a in enumerate(m.reported_amounts):
            self.batches.add(DecisionReportedAmount, a.model_dump() | {"decision_id": m.id, "position": j})

    def documents(self, i: int, m: Any, raw: dict[str, Any]) -> None:
        if not self._new_id("documents", i, m.id):
            return
        for name in ("sha256", "warc_sha256"):
            if (digest := getattr(m, name)) is not None:
                self.wanted_bytes.setdefault(digest, f"documents[{i}].{name}")
        self.batches.add(Document, m.model_dump(exclude={"pages"}))
        for number, text in enumerate(m.pages, start=1):
            self.batches.add(DocumentPage, {"document_id": m.id, "number": number, "text": text})
        self._audit("document", m.id, raw | {"pages": len(m.pages)})

    def blobs(self, i: int, m: Any, raw: dict[str, Any]) -> None:
        data: bytes = m.data
        if len(data) != m.size or storage.sha256(data) != m.sha256:
            self.errors.add(f"blobs[{i}].data", "does not hash to its sha256 (or is not its size)", "hash")
            return
        if m.sha256 in self.blob_hashes:
            self.errors.add(f"blobs[{i}].sha256", f"{m.sha256} appears twice", "unique")
            return
        self.blob_hashes.add(m.sha256)
        storage.put(self.session, data)

    def recommendations(self, i: int, m: Any, raw: dict[str, Any]) -> None:
        if not self._new_id("recommendations", i, m.id):
            return
        self._ref(f"recommendations[{i}].decision_id", "decisions", m.decision_id)
        self._ref(f"recommendations[{i}].organisation_id", "organisations", m.organisation_id)
        if m.reference is not None:
            key = (m.decision_id, m.organisation_id, m.reference)
            if key in self.recommendation_references:
                self.errors.add(
                    f"recommendations[{i}].reference",
                    f"reference {m.reference!r} appears twice in decision {m.decision_id} "
                    f"for organisation {m.organisation_id}",
                    "unique",
                )
            self.recommendation_references.add(key)
        if m.kind == RecommendationKind.payment:
            if m.decision_id in self.payments.values():
                self.errors.add(
                    f"recommendations[{i}].kind",
                    f"decision {m.decision_id} has another payment obligation: one penalty, one obligation",
                    "unique",
                )
            self.payments[m.id] = m.decision_id
        for j, organisation_id in enumerate(m.recommended_by):
            self._ref(f"recommendations[{i}].recommended_by[{j}]", "organisations", organisation_id)
        if (language := self.languages.get(m.decision_id)) in m.translations:
            self.errors.add(
                f"recommendations[{i}].translations.{language}",
                f"is decision {m.decision_id}'s own language",
                "own_language",
            )
        values = m.model_dump(exclude={"recommended_by"})
        self.batches.add(Recommendation, values | {"status": "pending", "last_assessed_on": None})
        for party in recommending.rows(m.id, m.recommended_by):
            self.batches.add(RecommendationParty, party)
        self._audit("recommendation", m.id, raw)

    def assessments(self, i: int, m: Any, raw: dict[str, Any]) -> None:
        if not self._new_id("assessments", i, m.id):
            return
        self._ref(f"assessments[{i}].recommendation_id", "recommendations", m.recommendation_id)
        if m.amount_paid is not None and (
            m.recommendation_id not in self.payments or m.status != Status.partially_complied
        ):
            self.errors.add(
                f"assessments[{i}].amount_paid",
                "an amount paid goes only with a partly paid (partially_complied) assessment of a "
                "payment obligation",
                "not_partial",
            )
        data = m.model_dump()
        # The file holds public attributions; an actor-shaped one (from an older export) is
        # reduced to its public form, so that no account is shown.
        data["recorded_by_name"] = audit.public_name_of(data["recorded_by"])
        data["retracted_by_name"] = (
            None if data["retracted_at"] is None else audit.public_name_of(data["retracted_by"] or "admin")
        )
        data["reviewed_by_name"] = (
            None if data["reviewed_by"] is None else audit.public_name_of(data["reviewed_by"])
        )
        if m.corrects_id is not None:
            self._ref(f"assessments[{i}].corrects_id", "assessments", m.corrects_id)
        if m.document_id is not None:
            self._ref(f"assessments[{i}].document_id", "documents", m.document_id)
        self.batches.add(Assessment, data)
        self._audit("assessment", m.id, raw)

    # Checks and writes that need a whole section.

    def end_organisations(self) -> None:
        for periods, i in self.parents.values():
            for j, period in enumerate(periods):
                field = "parent_id" if period.span[1] is None else f"former_parents.{j}.parent_id"
                self._ref(f"organisations[{i}].{field}", "organisations", period.parent_id)
        self.errors.raise_()

        def parents_of(org_id: int) -> list[ownership.Period]:
            return self.parents.get(org_id, ([], 0))[0]

        for id, (periods, i) in self.parents.items():
            loop = ownership.find_loop(id, periods, parents_of)
            if loop is not None:
                field = "parent_id" if periods[loop].span[1] is None else f"former_parents.{loop}.parent_id"
                self.errors.add(f"organisations[{i}].{field}", "makes the parent chain a loop", "cycle")
        self.errors.raise_()
        self.batches.flush()
        table = table_of(Organisation)
        rows = [
            {"b_id": id, "b_parent": periods[-1].parent_id}
            for id, (periods, _) in self.parents.items()
            if periods[-1].span[1] is None
        ]
        for start in range(0, len(rows), record_checks.BATCH):
            self.session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(parent_id=bindparam("b_parent"), updated_at=table.c.updated_at),
                rows[start : start + record_checks.BATCH],
            )
        for id, (periods, _) in self.parents.items():
            for position, period in enumerate(p for p in periods if p.span[1] is not None):
                self.batches.add(
                    OrganisationFormerParent,
                    {
                        "organisation_id": id,
                        "position": position,
                        "parent_id": period.parent_id,
                        "since": period.span[0],
                        "until": period.span[1],
                    },
                )
        self.batches.flush()

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
        for digest, field in self.wanted_bytes.items():
            if digest not in self.blob_hashes and not storage.held(self.session, digest):
                self.errors.add(field, f"the bytes of {digest} are not in the file's blobs", "missing")
        self.errors.raise_()
        self.batches.flush()
        compliance.refresh_all(self.session)
        # Written past the ORM: every read document is made again before the commit.
        hooks.note_bulk_write(self.session, every_decision=True)
        reset_sequences(self.session)
        # An export made before penalties had payment obligations: each penalised decision gets
        # its own, as the migration gave them (a newer export holds them, and none is made).
        # After the sequences are set: the new rows take ids past the imported ones.
        decisions = list(self.session.scalars(select(Decision.id)))
        payments.follow_many(self.session, decisions, actor=self.actor, now=dt.datetime.now(dt.UTC))


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
            _on_event(importer, event, header, seen)
        check_header(header)
        missing = [s for s in SECTIONS_OF[header["version"]] if s not in seen]
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
            [FieldError(exc.where, f"nested over {jsonstream.MAX_DEPTH} levels", "depth")],
        ) from exc
    except jsonstream.TooLarge as exc:
        raise Invalid(
            f"The file was not imported (nothing was changed): {exc}.",
            [FieldError(exc.where, f"has {exc.what}", "too_large")],
        ) from exc
    except jsonstream.JsonShapeError as exc:
        raise Invalid(
            f"The file is not a record export: {exc}.",
            [FieldError("body", str(exc), "json_invalid")],
        ) from exc
    return importer.counts


def _on_event(
    importer: _Importer,
    event: jsonstream.Scalar | jsonstream.ArrayStart | jsonstream.ArrayEnd | jsonstream.Item,
    header: dict[str, Any],
    seen: list[str],
) -> None:
    """One event of the file: a header value, a section's start or end, or an item."""
    if isinstance(event, jsonstream.Scalar):
        if event.key not in ("format", "version"):
            raise Invalid(
                f"Unknown key {event.key!r} in the file.",
                [FieldError(event.key, "is not part of the format", "extra_forbidden")],
            )
        header[event.key] = event.value
    elif isinstance(event, jsonstream.ArrayStart):
        check_header(header)
        check_order(event.key, seen, SECTIONS_OF[header["version"]])
        seen.append(event.key)
    elif isinstance(event, jsonstream.ArrayEnd):
        importer.counts[event.key] = event.count
        if event.key == "organisations":
            importer.end_organisations()
        elif event.key == "decisions":
            importer.end_decisions()
        else:
            importer.errors.raise_()
            importer.batches.flush()
    else:
        _read_item(importer, event)


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
            importer.errors.add(field_path(section, index, err.get("loc", ())), message, str(err.get("type")))
        return
    getattr(importer, section)(index, item, raw)
