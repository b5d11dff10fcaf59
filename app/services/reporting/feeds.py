"""Atom 1.0 feeds (RFC 4287) of the newest decisions and the newest compliance changes.

Built with the standard library's ElementTree: every text goes through it (so it is escaped),
characters XML 1.0 does not allow are dropped, and each feed carries the elements Atom
requires: id, title, updated, author, a `self` link, and per entry id, title, updated, link
and summary.
"""

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import paths
from app.labels import label
from app.models import Assessment, Case, Decision, Organisation, Recommendation, Regulator
from app.schemas.filters import DecisionFilter, RecommendationFilter, country_name
from app.services import compliance
from app.services.compliance import describe_counts
from app.services.record import decisions, recommendations
from app.services.shared.pagination import paginate
from app.vocab import Compliance, Status

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)
DEFAULT_ENTRIES = 50
MAX_ENTRIES = 200
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Entry:
    id: str
    title: str
    updated: dt.datetime
    link: str
    summary: str
    published: dt.datetime | None = None
    categories: Sequence[str] = ()


def render(*, feed_id: str, title: str, self_url: str, alternate: str, entries: list[Entry]) -> bytes:
    def add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _clean(v) for k, v in attrs.items()})
        if text is not None:
            element.text = _clean(text)
        return element

    feed = ET.Element(f"{{{ATOM}}}feed")
    add(feed, "id", feed_id)
    add(feed, "title", title)
    newest = max((e.updated for e in entries), default=dt.datetime.now(dt.UTC))
    add(feed, "updated", _time(newest))
    author = add(feed, "author")
    add(author, "name", "Findings Tracker")
    add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    add(feed, "link", rel="alternate", type="text/html", href=alternate)
    add(feed, "generator", "Findings Tracker")
    for e in entries:
        entry = add(feed, "entry")
        add(entry, "id", e.id)
        add(entry, "title", e.title)
        add(entry, "updated", _time(e.updated))
        if e.published is not None:
            add(entry, "published", _time(e.published))
        add(entry, "link", rel="alternate", type="text/html", href=e.link)
        for category in e.categories:
            add(entry, "category", term=category)
        add(entry, "summary", e.summary, type="text")
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


def decision_entries(session: Session, *, base: str, limit: int, filters: DecisionFilter) -> list[Entry]:
    """The newest decisions (by day issued) matching the decision list's filters."""
    as_of = filters.as_of
    stmt = decisions.filtered(filters, session=session)
    rows, _ = paginate(session, stmt, sorts=decisions.SORTS, sort="-issued_on", limit=limit, cursor=None)
    entries = []
    for d in decisions.read_many(session, [r[0] for r in rows], as_of=as_of):
        by = ", ".join(r.name for r in d.regulators)
        against = ", ".join(f"{o.name} ({label(o.role).lower()})" for o in d.organisations)
        penalty = (
            f" Penalty: {d.penalty_amount} {d.penalty_currency}." if d.penalty_amount is not None else ""
        )
        compliance_text = describe_counts(d.recommendation_counts)
        if d.compliance != Compliance.none:
            compliance_text = f"{label(d.compliance).lower()} ({compliance_text})"
        lead = f"Issued on {d.issued_on} by {by}" + (f"; parties: {against}" if against else "") + "."
        summary = f"{lead}{penalty} Compliance: {compliance_text}; standing: {label(d.standing).lower()}." + (
            f"\n\n{d.summary}" if d.summary else ""
        )
        entries.append(
            Entry(
                id=f"{base}/decisions/{d.id}",
                title=f"{d.reference}: {d.title}",
                updated=d.updated_at,
                published=dt.datetime.combine(d.issued_on, dt.time(), dt.UTC),
                link=base + paths.page("decision", d.id),
                summary=summary,
                categories=[d.kind.value, *d.tags],
            )
        )
    return entries


def assessment_entries(
    session: Session,
    *,
    base: str,
    limit: int,
    organisation_id: int | None = None,
    regulator_id: int | None = None,
    decision_id: int | None = None,
    recommendation_id: int | None = None,
    status: Status | None = None,
) -> list[Entry]:
    """The newest compliance changes: assessments, most recently recorded first."""
    stmt = (
        select(Assessment, Recommendation, Decision.reference, Organisation.name)
        .join(Recommendation, Recommendation.id == Assessment.recommendation_id)
        .join(Decision, Decision.id == Recommendation.decision_id)
        .join(Organisation, Organisation.id == Recommendation.organisation_id)
        .where(compliance.COUNTS)
    )
    scope = RecommendationFilter(
        organisation_id=organisation_id, regulator_id=regulator_id, decision_id=decision_id
    )
    if scope.values():
        # The recommendations the recommendation list's own filters choose (one set of rules).
        chosen = recommendations.filtered(scope).with_only_columns(Recommendation.id)
        stmt = stmt.where(Recommendation.id.in_(chosen))
    if recommendation_id is not None:
        stmt = stmt.where(Recommendation.id == recommendation_id)
    if status is not None:
        stmt = stmt.where(Assessment.status == status)
    stmt = stmt.order_by(Assessment.recorded_at.desc(), Assessment.id.desc()).limit(limit)
    entries = []
    for a, rec, reference, organisation in session.execute(stmt):
        text = rec.text if len(rec.text) <= 120 else rec.text[:119] + "…"
        summary = (
            f"{organisation}: {label(a.status).lower()} as of {a.assessed_on}, "
            f"claimed by {label(a.asserted_by).lower()}. "
            f"Recommendation {rec.reference or rec.id} of {reference}: {rec.text}"
            + (f"\n\n{a.note}" if a.note else "")
            + (f"\n\nSource: {a.source_url}" if a.source_url else "")
        )
        entries.append(
            Entry(
                id=f"{base}/recommendations/{rec.id}/assessments/{a.id}",
                title=f"{label(a.status)}: {text}",
                updated=a.recorded_at,
                published=dt.datetime.combine(a.assessed_on, dt.time(), dt.UTC),
                link=base + paths.page("recommendation", rec.id),
                summary=summary,
                categories=[a.status.value],
            )
        )
    return entries


def scope_in_words(session: Session, params: Sequence[tuple[str, str]]) -> str:
    """A feed's filters in words, for its title: "Clearview AI, Inc.; in Canada; fines" rather
    than `organisation_id=1&jurisdiction=CA&kind=fine`. A value that names nothing known is
    said as it was given."""
    models: dict[str, tuple[type[Any], str]] = {
        "organisation_id": (Organisation, "name"),
        "regulator_id": (Regulator, "name"),
        "case_id": (Case, "title"),
        "decision_id": (Decision, "reference"),
        "recommendation_id": (Recommendation, "reference"),
    }
    prefixes = {
        "organisation_id": "",
        "regulator_id": "by ",
        "case_id": "case ",
        "decision_id": "decision ",
        "recommendation_id": "recommendation ",
    }
    words = []
    for key, value in params:
        if key in ("limit", "cursor") or not value.strip():
            continue
        if key in models:
            model, attribute = models[key]
            found = session.get(model, int(value)) if value.isdigit() and len(value) < 16 else None
            name = getattr(found, attribute, None) if found is not None else None
            words.append(f"{prefixes[key]}{name or value}" if name else f"{key.removesuffix('_id')} {value}")
        elif key in ("status", "kind", "compliance"):
            words.append(label(value))
        elif key == "jurisdiction":
            words.append(f"in {country_name(value)}")
        elif key == "as_of":
            words.append(f"as of {value}")
        elif key == "q":
            words.append(f"“{value}”")
        elif key == "tag":
            words.append(f"tagged {value}")
        elif key in ("issued_from", "issued_to"):
            words.append(f"issued {key.removeprefix('issued_')} {value}")
        else:
            words.append(f"{key} {value}")
    return "; ".join(words)
