"""Import decisions and recommendations from any CSV file, driven by a mapping file.

Rows are grouped into decisions (by the mapping's `group_by` columns; one row each without
it). For each decision:

- a decision whose reference is already in the record is *matched*: nothing is written, so
  importing the same file twice creates nothing new;
- so is the same act under another reference (app/services/duplicates.py, over candidates
  loaded once); a near match is created; both are listed in the report's `duplicates`;
- its regulator and organisation are matched by name or alias, ignoring case (the record's
  own aliases and the mapping's), and created when missing;
- rows that cannot be used are *rejected* with their row number (the header is row 1, as in
  a spreadsheet) and the reason, and the other rows go on;
- the decision, its parties, recommendations and first assessments are written through the
  services (so the rules and the audit log are the API's own) in one savepoint: whole, or
  not at all.

The caller owns the transaction: `checkpoint` is called every `batch` decisions (the command
line commits there), and a dry run simply rolls everything back at the end.
"""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import DomainError, FieldError, Invalid
from app.models import Decision, Organisation, OrganisationAlias, Regulator
from app.schemas.decision import DecisionCreate
from app.schemas.organisation import OrganisationCreate
from app.schemas.recommendation import AssessmentCreate, RecommendationCreate
from app.schemas.regulator import RegulatorCreate
from app.services import decisions, duplicates, organisations, recommendations, regulators
from app.services.mapping import FIELDS, LIST_FIELDS, Mapping_, RowError, codec_errors, fold, repair_mojibake

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
        wanted = {c for spec in _all_specs(mapping) for c in spec.columns_read()} - set(mapping.columns)
        missing = sorted(wanted - set(header))
        if missing:
            raise Invalid(
                "The CSV file lacks the column(s) " + ", ".join(missing) + " that the mapping reads.",
                [FieldError(f"csv.{m}", "column missing", "missing") for m in missing],
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


def _all_specs(mapping: Mapping_) -> Iterator[Any]:
    yield from mapping.columns.values()
    for fields in mapping.sections.values():
        yield from fields.values()


class _Names:
    """Regulators or organisations by folded name and alias, loaded once per import."""

    def __init__(self, session: Session, model: Any) -> None:
        self.ids: dict[str, int] = {}
        # Ids of records that were there before the import and that it matched.
        self.existing: set[int] = set()
        self.used: set[int] = set()
        for id, name in session.execute(select(model.id, model.name)):
            self.ids.setdefault(fold(name), id)
            self.existing.add(id)
        if model is Organisation:
            for id, alias in session.execute(
                select(OrganisationAlias.organisation_id, OrganisationAlias.alias)
            ):
                self.ids.setdefault(fold(alias), id)


class Importer:
    def __init__(self, session: Session, mapping: Mapping_) -> None:
        self.session = session
        self.mapping = mapping
        self.report = Report()
        self.regulators = _Names(session, Regulator)
        self.organisations = _Names(session, Organisation)
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

    def _fields(self, section: str, row: dict[str, str]) -> dict[str, Any]:
        specs = self.mapping.sections.get(section, {})
        values = {name: self._value(section, name, row) for name in specs}
        for name, required in FIELDS[section].items():
            if required and values.get(name) is None:
                raise RowError(f"{section}.{name}: {specs[name].why_missing()}")
        return values

    # Parties -----------------------------------------------------------------------------

    def _regulator(self, row: dict[str, str], pending: dict[str, int]) -> int:
        values = self._fields("regulator", row)
        name = values.get("name")
        if not name:
            raise RowError("regulator.name: no value")
        name = " ".join(name.split())
        name = self.mapping.regulator_aliases.get(fold(name), name)
        for candidate in [name, *self.mapping.regulator_alias_lists.get(name, [])]:
            found = self.regulators.ids.get(fold(candidate))
            if found is not None:
                self.regulators.used.add(found)
                return found
        data = RegulatorCreate.model_validate(
            {k: v for k, v in values.items() if v is not None} | {"name": name}
        )
        regulator = regulators.create(self.session, data=data)
        pending[fold(name)] = regulator.id
        self.regulators.ids[fold(name)] = regulator.id
        self.report.counts["regulators"]["created"] += 1
        return regulator.id

    def _organisation(self, row: dict[str, str], reference: str, pending: dict[str, int]) -> int | None:
        if not self.mapping.has("organisation"):
            return None
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
        for candidate in [name, *aliases]:
            found = self.organisations.ids.get(fold(candidate))
            if found is not None:
                self.organisations.used.add(found)
                return found
        data = OrganisationCreate.model_validate(
            {k: v for k, v in values.items() if v is not None} | {"name": name, "aliases": aliases}
        )
        organisation = organisations.create(self.session, data=data)
        for candidate in [name, *aliases]:
            if fold(candidate) not in self.organisations.ids:
                pending[fold(candidate)] = organisation.id
                self.organisations.ids[fold(candidate)] = organisation.id
        self.report.counts["organisations"]["created"] += 1
        return organisation.id

    # One decision ------------------------------------------------------------------------

    def group(self, rows: list[tuple[int, dict[str, str]]]) -> None:
        usable = []
        for number, row in rows:
            if "\0error" in row:
                self.report.reject(number, row["\0error"])
                continue
            try:
                usable.append((number, self.mapping.derive(row)))
            except RowError as exc:
                self.report.reject(number, str(exc))
        if not usable:
            return
        _, first = usable[0]
        numbers = [n for n, _ in usable]
        try:
            head = self._fields("decision", first)
        except RowError as exc:
            self._reject_all(numbers, str(exc))
            return
        reference = head.get("reference")
        if not reference:
            self._reject_all(numbers, "decision.reference: no value")
            return
        reference = " ".join(reference.split())
        # Rows: what each would add, checked before anything is written.
        planned: list[tuple[int, RecommendationCreate | None, AssessmentCreate | None]] = []
        for number, row in usable:
            try:
                planned.append((number, *self._row_parts(row)))
            except RowError as exc:
                self.report.reject(number, str(exc))
        if not planned:
            return
        existing = self.session.scalar(select(Decision.id).where(Decision.reference == reference))
        # The same act under another reference is matched; a near match is created, and listed.
        same = None if existing is not None else self.candidates.match(self._facts(reference, head, first))
        if same is not None:
            verb = "matched" if same.exact else "created, but possibly the same act as"
            self.report.duplicates.append(
                Rejection(numbers[0], f"{verb} decision {same.decision_id}: {same.reason}")
            )
            existing = same.decision_id if same.exact else None
        if existing is not None:
            self.report.counts["decisions"]["matched"] += 1
            self.report.matched += len(planned)
            return
        pending_regulators: dict[str, int] = {}
        pending_organisations: dict[str, int] = {}
        counts_before = {k: dict(v) for k, v in self.report.counts.items()}
        savepoint = self.session.begin_nested()
        try:
            self._write(reference, head, first, planned, pending_regulators, pending_organisations)
            savepoint.commit()
        except (DomainError, RowError, ValidationError, IntegrityError) as exc:
            savepoint.rollback()
            for name in pending_regulators:
                self.regulators.ids.pop(name, None)
            for name in pending_organisations:
                self.organisations.ids.pop(name, None)
            self.report.counts = counts_before
            if isinstance(exc, ValidationError):
                reason = _validation_reason(exc, exc.title.removesuffix("Create").lower())
            elif isinstance(exc, DomainError):
                reason = exc.detail
            elif isinstance(exc, IntegrityError):
                reason = "the database refused it: " + str(exc.orig).splitlines()[0]
            else:
                reason = str(exc)
            self._reject_all([n for n, _, _ in planned], reason)
            return
        self.report.counts["decisions"]["created"] += 1
        self.report.created += len(planned)

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

    def _row_parts(self, row: dict[str, str]) -> tuple[RecommendationCreate | None, AssessmentCreate | None]:
        if not self.mapping.has("recommendation"):
            return None, None
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
                values = self._fields("assessment", row)
                try:
                    assessment = AssessmentCreate.model_validate(
                        {k: v for k, v in values.items() if v is not None}
                    )
                except ValidationError as exc:
                    raise RowError(_validation_reason(exc, "assessment")) from exc
        return rec, assessment

    def _write(
        self,
        reference: str,
        head: dict[str, Any],
        first: dict[str, str],
        planned: list[tuple[int, RecommendationCreate | None, AssessmentCreate | None]],
        pending_regulators: dict[str, int],
        pending_organisations: dict[str, int],
    ) -> None:
        regulator_id = self._regulator(first, pending_regulators)
        organisation_id = self._organisation(first, reference, pending_organisations)
        amount = head.get("penalty_amount")
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
                "regulators": [{"regulator_id": regulator_id, "role": head.get("regulator_role") or "lead"}],
                "organisations": (
                    [
                        {
                            "organisation_id": organisation_id,
                            "role": head.get("organisation_role") or "respondent",
                        }
                    ]
                    if organisation_id is not None
                    else []
                ),
            }
        )
        decision = decisions.create(self.session, data=data)
        for _, rec, assessment in planned:
            if rec is None or organisation_id is None:
                continue
            created = recommendations.create(
                self.session,
                data=rec.model_copy(update={"decision_id": decision.id, "organisation_id": organisation_id}),
            )
            self.report.counts["recommendations"]["created"] += 1
            if assessment is not None:
                recommendations.add_assessment(self.session, recommendation_id=created.id, data=assessment)
                self.report.counts["assessments"]["created"] += 1

    def _reject_all(self, numbers: list[int], reason: str) -> None:
        for number in numbers:
            self.report.reject(number, reason)


def import_csv(
    session: Session,
    mapping: Mapping_,
    fp: BinaryIO,
    *,
    checkpoint: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH,
) -> Report:
    """Import the CSV in `fp` as `mapping` says; return what was created, matched, rejected."""
    groups: dict[Any, list[tuple[int, dict[str, str]]]] = {}
    rows = 0
    for number, row in read_rows(mapping, fp):
        rows += 1
        key: Any = ("row", number)
        if "\0error" not in row and mapping.group_by:
            try:
                derived = mapping.derive(dict(row))
                key = tuple(derived.get(c, "") for c in mapping.group_by)
            except RowError as exc:
                row = {"\0error": str(exc)}
        groups.setdefault(key, []).append((number, row))
    importer = Importer(session, mapping)
    importer.report.rows = rows
    done = 0
    for i, group in enumerate(groups.values(), start=1):
        importer.group(group)
        # Every flush walks the session's identity map: forgetting each finished decision
        # keeps a large import linear instead of quadratic.
        session.expunge_all()
        done += len(group)
        if progress is not None:
            progress(done, rows)
        if checkpoint is not None and i % batch == 0:
            checkpoint()
    if checkpoint is not None:
        checkpoint()
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
