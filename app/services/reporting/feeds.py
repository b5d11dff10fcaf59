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

from app import formats, language, paths
from app.labels import N_, gettext, label
from app.models import Assessment, Case, Decision, Organisation, Recommendation, Regulator
from app.schemas.filters import DecisionFilter, RecommendationFilter, country_name
from app.services import compliance
from app.services.compliance import describe_counts
from app.services.record import decisions, recommendations
from app.services.shared.pagination import paginate
from app.vocab import Compliance, Status

ATOM = "http://www.w3.org/2005/Atom"
XML = "http://www.w3.org/XML/1998/namespace"
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

    feed = ET.Element(f"{{{ATOM}}}feed", {f"{{{XML}}}lang": language.current()})
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
        amount = formats.money(d.penalty_amount, d.penalty_currency)
        penalty = (
            " " + gettext("Penalty: %(amount)s.") % {"amount": amount}
            if d.penalty_amount is not None
            else ""
        )
        compliance_text = describe_counts(d.recommendation_counts)
        if d.compliance != Compliance.none:
            compliance_text = f"{label(d.compliance).lower()} ({compliance_text})"
        issued = {"day": formats.dated(d.issued_on, d.issued_on_precision), "by": by}
        lead = (
            gettext("Issued on %(day)s by %(by)s; parties: %(parties)s.") % (issued | {"parties": against})
            if against
            else gettext("Issued on %(day)s by %(by)s.") % issued
        )
        said = {"compliance": compliance_text, "standing": label(d.standing).lower()}
        told = gettext("Compliance: %(compliance)s; standing: %(standing)s.") % said
        summary = f"{lead}{penalty} {told}" + (f"\n\n{d.summary}" if d.summary else "")
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
        said = {
            "organisation": organisation,
            "status": label(a.status).lower(),
            "day": formats.dated(a.assessed_on, a.assessed_on_precision),
            "by": label(a.asserted_by).lower(),
            "ref": rec.reference or rec.id,
            "decision": reference,
            "text": rec.text,
        }
        summary = (
            gettext(
                "%(organisation)s: %(status)s as of %(day)s, claimed by %(by)s. "
                "Recommendation %(ref)s of %(decision)s: %(text)s"
            )
            % said
            + (f"\n\n{a.note}" if a.note else "")
            + ("\n\n" + gettext("Source: %(url)s") % {"url": a.source_url} if a.source_url else "")
        )
        entries.append(
            Entry(
                id=f"{base}/recommendations/{rec.id}/assessments/{a.id}",
                title=gettext("%(status)s: %(text)s") % {"status": label(a.status), "text": text},
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
    prefixes: dict[str, str | None] = {
        "organisation_id": None,
        "regulator_id": N_("by %(name)s"),
        "case_id": N_("case %(name)s"),
        "decision_id": N_("decision %(name)s"),
        "recommendation_id": N_("recommendation %(name)s"),
    }
    said = {
        "jurisdiction": N_("in %(value)s"),
        "as_of": N_("as of %(value)s"),
        "q": N_("“%(value)s”"),
        "tag": N_("tagged %(value)s"),
        "issued_from": N_("issued from %(value)s"),
        "issued_to": N_("issued to %(value)s"),
    }
    words = []
    for key, value in params:
        if key in ("limit", "cursor", "lang") or not value.strip():
            continue
        if key in models:
            model, attribute = models[key]
            found = session.get(model, int(value)) if value.isdigit() and len(value) < 16 else None
            name = getattr(found, attribute, None) if found is not None else None
            prefix = prefixes[key]
            if not name:
                words.append(f"{key.removesuffix('_id')} {value}")
            else:
                words.append(gettext(prefix) % {"name": name} if prefix else str(name))
        elif key in ("status", "kind", "compliance"):
            words.append(label(value))
        elif key in said:
            shown = country_name(value) if key == "jurisdiction" else value
            words.append(gettext(said[key]) % {"value": shown})
        else:
            words.append(f"{key} {value}")
    return "; ".join(words)
