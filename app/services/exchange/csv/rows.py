"""Reading a CSV file for the import (app/services/exchange/csv/importer.py), the import's report, and
the shapes its plans are made of (app/services/exchange/csv/plan.py).

The file is read as the mapping says (encoding, delimiter, mojibake repair); a file lacking a
column the mapping reads is refused up front; each record comes out with its row number (the
header is row 1, as in a spreadsheet), or with the reason it cannot be used.
"""

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import DomainError, FieldError, Invalid
from app.models import Organisation, OrganisationAlias
from app.schemas.decision import DecisionCreate
from app.schemas.recommendation import AssessmentCreate, RecommendationCreate
from app.services.exchange.csv.mapping import Mapping_, codec_errors, fold, repair_mojibake
from app.vocab import Status

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
    # Rows made to several parties, each made one recommendation per party.
    split: int = 0
    # Rows folded into an earlier row's recommendation (one listed once per party that made
    # it: app/services/exchange/csv/folding.py).
    folded: int = 0
    # The status of each assessment created (or, in a dry run, that would be), and of those
    # among them that are suggestions (machine readings below the mapping's `accept_at`).
    statuses: Counter[str] = field(default_factory=Counter)
    suggested: Counter[str] = field(default_factory=Counter)
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
            "split": self.split,
            "folded": self.folded,
            "counts": self.counts,
            "statuses": {s.value: self.statuses.get(s.value, 0) for s in Status},
            "suggested": {s.value: self.suggested.get(s.value, 0) for s in Status},
            "rejections": [{"row": r.row, "reason": r.reason} for r in self.rejected],
            "duplicates": [{"row": r.row, "reason": r.reason} for r in self.duplicates],
        }


def validation_reason(exc: ValidationError, prefix: str) -> str:
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
        for key, spec in all_specs(mapping):
            for column in spec.columns_read() - set(mapping.columns):
                readers.setdefault(column, []).append(key)
        for column in set(mapping.fold_by) - set(mapping.columns):
            readers.setdefault(column, []).append("recommendation.fold_by")
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


def all_specs(mapping: Mapping_) -> Iterator[tuple[str, Any]]:
    """Every spec of the mapping, with its key (`columns.state`, `assessment.status`)."""
    for name, spec in mapping.columns.items():
        yield f"columns.{name}", spec
    for section, fields in mapping.sections.items():
        for name, spec in fields.items():
            yield f"{section}.{name}", spec


# -- What a plan is made of ------------------------------------------------------------------


class Names:
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
class Party:
    """A regulator or organisation a decision needs: found in the record, or to be created."""

    key: str  # its folded name
    names: list[str]  # its name, then the aliases it is also found by
    values: dict[str, Any]  # the validated fields it is created with (when it is new)


@dataclass
class PlannedRow:
    number: int
    rec: RecommendationCreate | None
    assessment: AssessmentCreate | None
    organisation: str | None  # the key of the party it is addressed to
    # The assessment's provenance columns (origin, counted, review; a machine reading's rule,
    # confidence and evidence): see Planner.provenance.
    provenance: dict[str, Any] = field(default_factory=dict)
    # The keys of the parties that made it, what it is folded by, and the later rows folded
    # into it (app/services/exchange/csv/folding.py).
    recommended_by: list[str] = field(default_factory=list)
    fold_key: tuple[str, ...] | None = None
    folded: list[int] = field(default_factory=list)

    @property
    def numbers(self) -> tuple[int, ...]:
        """Its row's number, and those of the rows folded into it."""
        return (self.number, *self.folded)

    @property
    def counted(self) -> AssessmentCreate | None:
        """The assessment when it makes the recommendation's status (not a suggestion)."""
        return self.assessment if self.provenance.get("counted", True) else None


@dataclass
class Plan:
    """One decision, checked and ready to be written."""

    reference: str
    data: DecisionCreate
    regulator: str
    organisations: list[str]
    rows: list[PlannedRow]
    regulator_role: str
    organisation_role: str
    decision_id: int | None = None  # once written

    @property
    def numbers(self) -> list[int]:
        return [n for r in self.rows for n in r.numbers]


def reason_of(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return validation_reason(exc, exc.title.removesuffix("Create").lower())
    if isinstance(exc, DomainError):
        return exc.detail
    if isinstance(exc, IntegrityError):
        return "the database refused it: " + str(exc.orig).splitlines()[0]
    return str(exc)
