"""The data sets the record holds, for /about: each with its files (name, SHA-256, mapping,
when imported), the records made from them, how their statuses were known, and their caveats."""

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import ImportedRow, ImportRun, Recommendation
from app.services import compliance


@dataclass
class File:
    name: str
    sha256: str
    mapping: str
    rows: int
    imported_at: dt.datetime


@dataclass
class Dataset:
    name: str
    url: str | None
    caveats: list[str]
    files: list[File] = field(default_factory=list)
    decisions: int = 0
    recommendations: int = 0
    assessments: int = 0
    review: compliance.ReviewCounts = field(default_factory=compliance.ReviewCounts)


def held(session: Session) -> list[Dataset]:
    """Every data set imported, in the order first imported, with today's figures."""
    found: dict[str, Dataset] = {}
    runs: dict[str, list[int]] = {}
    for run in session.scalars(select(ImportRun).order_by(ImportRun.id)):
        dataset = found.setdefault(run.dataset, Dataset(run.dataset, run.dataset_url, list(run.caveats)))
        # The newest run says where the data set is and what to beware of.
        dataset.url, dataset.caveats = run.dataset_url or dataset.url, list(run.caveats) or dataset.caveats
        dataset.files.append(File(run.file_name, run.file_sha256, run.mapping, run.rows, run.imported_at))
        runs.setdefault(run.dataset, []).append(run.id)
    for name, dataset in found.items():
        counts = dict(
            session.execute(
                select(ImportedRow.record_type, func.count(func.distinct(ImportedRow.record_id)))
                .where(ImportedRow.import_id.in_(runs[name]))
                .group_by(ImportedRow.record_type)
            ).all()
        )
        dataset.decisions = counts.get("decision", 0)
        dataset.recommendations = counts.get("recommendation", 0)
        dataset.assessments = counts.get("assessment", 0)
        imported = select(ImportedRow.record_id).where(
            ImportedRow.record_type == "recommendation", ImportedRow.import_id.in_(runs[name])
        )
        dataset.review = compliance.review_counts(session, Recommendation.id.in_(imported), as_of=None)
    return list(found.values())
