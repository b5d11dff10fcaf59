"""Planning the CSV import (app/services/exchange/csv/importer.py): each group of rows checked and turned
into one decision to write, or matched to the record, or rejected with its reason.

Nothing here writes; `csv_import.Importer` writes the plans.
"""

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import DomainError
from app.models import Decision, Organisation, Recommendation, Regulator
from app.schemas.decision import DecisionCreate, DecisionScalars
from app.schemas.fields import plain_fields
from app.schemas.organisation import OrganisationCreate
from app.schemas.recommendation import AssessmentCreate, RecommendationCreate
from app.schemas.regulator import RegulatorCreate
from app.services.exchange.csv import folding
from app.services.exchange.csv.classify import DEFAULT_RULE, Reading, evidence, precision_of
from app.services.exchange.csv.mapping import (
    DATE_FIELDS,
    FIELDS,
    LIST_FIELDS,
    Mapping_,
    RowError,
    Spec,
    fold,
)
from app.services.exchange.csv.mapping_spec import to_precision
from app.services.exchange.csv.rows import (
    Names,
    Party,
    Plan,
    PlannedRow,
    Rejection,
    Report,
    reason_of,
    validation_reason,
)
from app.services.record import decision_edits, duplicates, name_keys, recommendations
from app.services.shared import audit
from app.vocab import Origin, RecommendationKind, Review

# How the import report names a match of each kind (app/services/record/duplicates.py).
VERBS = {
    "exact": "matched",
    "currency": "matched (its amount kept as reported by this data set)",
    "near": "created, but possibly the same act as",
}


class Planner:
    """Plans each decision of a CSV import: every check made before anything is written (the
    API's schemas, the services' rules), with the record's parties and decisions read once.
    `csv_import.Importer` adds the writing."""

    def __init__(self, session: Session, mapping: Mapping_) -> None:
        self.session = session
        self.mapping = mapping
        self.report = Report()
        self.regulators = Names(session, Regulator)
        self.organisations = Names(session, Organisation)
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
        self.pending_regulators: dict[str, Party] = {}
        self.pending_organisations: dict[str, Party] = {}
        # The record's decisions as duplicate candidates (app/services/record/duplicates.py), read once.
        self.candidates = duplicates.load(session)

    # Reading values ----------------------------------------------------------------------

    def _value(self, section: str, name: str, row: dict[str, str]) -> Any:
        spec = self.mapping.spec(section, name)
        if spec is None:
            return [] if name in LIST_FIELDS else None
        label = f"{section}.{name}"
        if name in LIST_FIELDS:
            return spec.items(row, label)
        if name in DATE_FIELDS:
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
        return self._precise(section, values)

    def _precise(self, section: str, values: dict[str, Any]) -> dict[str, Any]:
        """Each date read to the precision the mapping gives it (1 January for a year alone)."""
        for name, precision in values.items():
            date_name = name.removesuffix("_precision")
            if name.endswith("_precision") and precision and isinstance(values.get(date_name), dt.date):
                spec = self.mapping.sections[section][date_name]
                values[date_name] = to_precision(values[date_name], precision, spec, f"{section}.{name}")
        return values

    # Parties -----------------------------------------------------------------------------

    def _regulator(self, row: dict[str, str], parties: dict[str, Party]) -> str:
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
            raise RowError(validation_reason(exc, "regulator")) from exc
        parties.setdefault(fold(name), Party(fold(name), [name], data.model_dump()))
        return fold(name)

    def _organisation(self, row: dict[str, str], reference: str, parties: dict[str, Party]) -> str:
        return self._party(self._fields("organisation", row), "organisation", reference, parties)

    def _recommenders(self, row: dict[str, str], reference: str, parties: dict[str, Party]) -> list[str]:
        """The keys of the parties the row names as having made its recommendation (folding.py)."""
        spec = self.mapping.spec("recommended_by", "name")
        keys: list[str] = []
        for own in folding.party_rows(spec, row) if spec is not None else []:
            key = self._party(self._fields("recommended_by", own), "recommended_by", reference, parties)
            keys += [key] if key not in keys else []
        return keys

    def _party(self, values: dict[str, Any], section: str, reference: str, parties: dict[str, Party]) -> str:
        name = values.get("name")
        if not name:
            raise RowError(f"{section}.name: no value")
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
            raise RowError(validation_reason(exc, section)) from exc
        parties.setdefault(fold(name), Party(fold(name), [name, *aliases], data.model_dump()))
        return fold(name)

    @staticmethod
    def _known(names: Names, candidates: list[str]) -> str | None:
        """The key of a party already in the record (or written by this import), if any."""
        for candidate in candidates:
            if fold(candidate) in names.ids:
                return fold(candidate)
        return None

    # Planning one decision ---------------------------------------------------------------

    def plan(self, rows: list[tuple[int, dict[str, str]]]) -> Plan | None:
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
        regulators: dict[str, Party] = {}
        organisations: dict[str, Party] = {}
        try:
            head = self._head(usable)
            reference = " ".join(head["reference"].split())
            regulator = self._regulator(first, regulators)
        except RowError as exc:
            self._reject_all(numbers, str(exc))
            return None
        planned: list[PlannedRow] = []
        for number, row in usable:
            try:
                planned.append(self._row(number, row, reference, organisations))
            except RowError as exc:
                self.report.reject(number, str(exc))
        if not planned:
            return None
        planned = folding.fold(planned)
        unique_references(planned)
        if self._matched(reference, head, first, planned):
            return None
        addressees = list(dict.fromkeys(r.organisation for r in planned if r.organisation is not None))
        try:
            data = self._decision(reference, head, addressees)
            for r in planned:
                if r.assessment is not None:
                    recommendations.check_assessed_on(r.assessment, self.today)
        except (ValidationError, DomainError) as exc:
            self._reject_all([n for r in planned for n in r.numbers], reason_of(exc))
            return None
        # A party not yet in the record is created as its first row describes it.
        self.pending_regulators = regulators | self.pending_regulators
        self.pending_organisations = organisations | self.pending_organisations
        self.planned.add(reference)
        return Plan(
            reference,
            data,
            regulator,
            addressees,
            planned,
            data.regulators[0].role.value,
            data.organisations[0].role.value
            if data.organisations
            else head.get("organisation_role") or "respondent",
        )

    def _head(self, usable: list[tuple[int, dict[str, str]]]) -> dict[str, Any]:
        """The decision's fields, from its first row (or over the group, for `of_group`)."""
        head = self._fields("decision", usable[0][1])
        for name, spec in self.mapping.sections["decision"].items():
            if spec.of_group is not None:
                # The field over the whole group (a report dated by its earliest row).
                found = [v for _, row in usable if (v := self._value("decision", name, row)) is not None]
                if found:
                    head[name] = min(found) if spec.of_group == "min" else max(found)
        self._precise("decision", head)
        if not head.get("reference"):
            raise RowError("decision.reference: no value")
        return head

    def _matched(
        self, reference: str, head: dict[str, Any], first: dict[str, str], planned: list[PlannedRow]
    ) -> bool:
        """Whether the rows are a decision already in the record (by its reference, or the
        same act under another one), matched; a near match is listed, and created."""
        existing = self.existing_decision(reference)
        facts = None if existing is not None else self._facts(reference, head, first)
        same = None if facts is None else self.candidates.match(facts)
        if same is not None:
            verb = VERBS[same.kind]
            self.report.duplicates.append(
                Rejection(planned[0].number, f"{verb} decision {same.decision_id}: {same.reason}")
            )
            existing = same.decision_id if same.kind != "near" else None
            if same.kind == "currency" and facts is not None and facts.penalty is not None:
                # One act counted once: the figure this file gives is kept beside the recorded
                # penalty, as reported by the data set (never in a total).
                amount, currency = facts.penalty
                decision_edits.add_reported_amount(
                    self.session,
                    decision_id=same.decision_id,
                    amount=amount,
                    currency=currency,
                    source=f"{self.dataset_name}: {reference}",
                )
        if existing is None:
            return False
        self._match(existing, planned)
        return True

    @property
    def dataset_name(self) -> str:
        """The data set as an import run names it."""
        m = self.mapping
        return m.dataset or m.description or m.name or "CSV import"

    def _decision(self, reference: str, head: dict[str, Any], addressees: list[str]) -> DecisionCreate:
        """The decision as the API's schema checks it, with placeholder ids (one per party;
        the real ones are set when it is written)."""
        amount = head.get("penalty_amount")
        organisation_role = head.get("organisation_role") or "respondent"
        return DecisionCreate.model_validate(
            # The decision's own fields as the mapping gives them (app/schemas/decision.py).
            {name: head[name] for name in plain_fields(DecisionScalars) if name in head}
            | {
                "reference": reference,
                # A currency without an amount (a fine of 0, a reprimand) is no penalty.
                "penalty_currency": head.get("penalty_currency") if amount is not None else None,
                "provisions": [p[:300] for p in head.get("provisions", [])],
                "tags": head.get("tags", []),
                "sources": [{"url": url} for url in head.get("sources", [])],
                "regulators": [{"regulator_id": 1, "role": head.get("regulator_role") or "lead"}],
                "organisations": [
                    {"organisation_id": i, "role": organisation_role}
                    for i, _ in enumerate(addressees, start=1)
                ],
            }
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

        def keys(section: str, known: Names) -> frozenset[str]:
            ids = {f"#{known.ids[fold(n)]}" for n in names[section] if fold(n) in known.ids}
            return frozenset({name_keys.name_key(n) for n in names[section]} | ids)

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

    def _row(
        self, number: int, row: dict[str, str], reference: str, organisations: dict[str, Party]
    ) -> PlannedRow:
        addressee = (
            self._organisation(row, reference, organisations) if self.mapping.has("organisation") else None
        )
        if not self.mapping.has("recommendation"):
            return PlannedRow(number, None, None, addressee)
        values = {k: v for k, v in self._fields("recommendation", row).items() if v is not None}
        try:
            # Placeholder ids; the real ones are set when the decision is written.
            rec = RecommendationCreate.model_validate(values | {"decision_id": 1, "organisation_id": 1})
        except ValidationError as exc:
            raise RowError(validation_reason(exc, "recommendation")) from exc
        if rec.kind == RecommendationKind.payment:
            # A penalty's obligation to pay is made with the penalty (its amount and currency).
            raise RowError("recommendation.kind: payment is made with the decision's penalty, not from a row")
        assessment, provenance = None, {}
        if self.mapping.has("assessment"):
            # No status (such as an "unknown" position) means no assessment for this row.
            spec = self.mapping.sections["assessment"]["status"]
            reading = spec.reading(row)
            status = spec.text(row, "assessment.status") if reading is None else reading.value
            if status is not None:
                fields = self._fields("assessment", row, known={"status": status})
                try:
                    assessment = AssessmentCreate.model_validate(
                        {k: v for k, v in fields.items() if v is not None}
                    )
                except ValidationError as exc:
                    raise RowError(validation_reason(exc, "assessment")) from exc
                provenance = self.provenance(spec, reading, assessment.note)
        recommenders = self._recommenders(row, reference, organisations)
        return PlannedRow(
            number,
            rec,
            assessment,
            addressee,
            provenance,
            recommenders,
            folding.key_of(row, self.mapping.fold_by),
        )

    def provenance(self, spec: Spec, reading: Reading | None, note: str | None) -> dict[str, Any]:
        """An imported assessment's provenance columns. A status the source gives in a column
        (mapped or not) is `imported`. One classified from text keeps the rule, its measured
        precision and the matched sentence, awaits review, and counts only when the precision
        reaches the mapping's `accept_at` (without one, every reading counts): below it, it is
        a suggestion."""
        if reading is None:
            return {
                "origin": Origin.imported.value,
                "counted": True,
                "review": Review.not_needed.value,
                "rule": None,
                "confidence": None,
                "evidence_start": None,
                "evidence_end": None,
            }
        rule = reading.rule
        name = rule.name if rule is not None else DEFAULT_RULE
        confidence = (
            rule.confidence if rule is not None else precision_of(*(spec.default_precision or (None, None)))
        )
        counted = spec.accept_at is None or (confidence is not None and confidence >= spec.accept_at)
        found = evidence(note, reading)
        return {
            "origin": Origin.classified.value,
            "counted": counted,
            "review": Review.awaiting.value,
            "rule": f"{self.mapping.name}:{name}" if self.mapping.name else name,
            "confidence": confidence,
            "evidence_start": found[0] if found else None,
            "evidence_end": found[1] if found else None,
        }

    def existing_decision(self, reference: str) -> int | None:
        """The decision already in the record that these rows are (None: a new one).

        The one place an import asks whether a decision is already there: matched by its
        reference, or planned earlier in this import under the same reference (-1).
        """
        if reference in self.planned:
            return -1
        return self.references.get(reference)

    def _match(self, decision_id: int, rows: list[PlannedRow]) -> None:
        """Rows of a decision already in the record: each recommendation is found in it (by
        its reference, else its text and addressee); nothing is added to a decision there."""
        self.report.counts["decisions"]["matched"] += 1
        self.report.matched += len({n for r in rows for n in r.numbers})
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


def unique_references(rows: list[PlannedRow]) -> None:
    """A reference is unique within a decision and addressee: rows to different parties keep
    it (TAIC's `012/21`, made to NZTA and to KiwiRail, is one recommendation for each under that
    number); a reference given twice to the same addressee is kept by the first row, each later
    one getting its place among them (`063/05 (2)`). The same file always gives the same ones."""
    seen: Counter[tuple[str | None, str]] = Counter()
    taken = {(r.organisation, r.rec.reference) for r in rows if r.rec is not None and r.rec.reference}
    for r in rows:
        if r.rec is None or not r.rec.reference:
            continue
        key = (r.organisation, r.rec.reference)
        seen[key] += 1
        if seen[key] == 1:
            continue
        candidate = f"{r.rec.reference} ({seen[key]})"
        while (r.organisation, candidate) in taken:
            candidate += "'"
        taken.add((r.organisation, candidate))
        r.rec = r.rec.model_copy(update={"reference": candidate})
