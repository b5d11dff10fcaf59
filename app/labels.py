"""The words shown for the codes of the vocabularies (app/vocab.py), defined once beside them.

Pages, charts, filters, form options and the pages' validation messages show these labels;
the API and the exports keep the codes. Every text is a message of the `messages` catalogue
(app/locale/<language>/LC_MESSAGES/messages.po), compiled when the app starts, so that a second
language is a translation file. Each text is shown in the reader's language (app.language):
English or French.
"""

import io
from collections.abc import Iterable, Mapping
from enum import StrEnum
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from app import formats, language, vocab

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Marks a message for extraction (`pybabel extract -k N_`); translated when shown."""
    return message


# Each code's label, and for statuses, compliance and standing a one-line explanation.
LABELS: dict[type[StrEnum], dict[str, str]] = {
    vocab.RegulatorKind: {
        "regulator": N_("Regulator"),
        "court": N_("Court"),
        "tribunal": N_("Tribunal"),
        "ombudsman": N_("Ombudsman"),
        "other": N_("Other"),
    },
    vocab.OrganisationKind: {
        "company": N_("Company"),
        "public_body": N_("Public body"),
        "law_enforcement": N_("Law enforcement"),
        "ngo": N_("Non-governmental organisation"),
        "individual": N_("Individual"),
        "other": N_("Other"),
    },
    vocab.DecisionKind: {
        "report_of_findings": N_("Report of findings"),
        "order": N_("Order"),
        "determination": N_("Determination"),
        "formal_notice": N_("Formal notice"),
        "fine": N_("Fine"),
        "enforcement_notice": N_("Enforcement notice"),
        "penalty": N_("Penalty"),
        "judgment": N_("Judgment"),
        "settlement": N_("Settlement"),
        "other": N_("Other"),
    },
    vocab.RegulatorRole: {"lead": N_("Lead"), "joint": N_("Joint")},
    vocab.OrganisationRole: {
        "respondent": N_("Respondent"),
        "client": N_("Client"),
        "complainant": N_("Complainant"),
        "affected": N_("Affected"),
        "other": N_("Other"),
    },
    vocab.RecommendationRole: {"recommending": N_("Recommending")},
    vocab.FindingOutcome: {
        "contravention": N_("Contravention"),
        "no_contravention": N_("No contravention"),
        "well_founded": N_("Well founded"),
        "not_well_founded": N_("Not well founded"),
        "resolved": N_("Resolved"),
        "other": N_("Other"),
    },
    vocab.RecommendationKind: {
        "recommendation": N_("Recommendation"),
        "order": N_("Order"),
        "undertaking": N_("Undertaking"),
        "payment": N_("Payment of the penalty"),
    },
    vocab.AssertedBy: {
        "regulator": N_("Regulator"),
        "organisation": N_("Organisation"),
        "court": N_("Court"),
        "press": N_("Press"),
        "other": N_("Other"),
    },
    vocab.Relation: {
        "appeal_of": N_("Appeal of"),
        "upholds": N_("Upholds"),
        "overturns": N_("Overturns"),
        "remits": N_("Remits"),
        "follow_up_of": N_("Follow-up of"),
        "enforces": N_("Enforces"),
    },
    vocab.Status: {
        "pending": N_("Pending"),
        "complied": N_("Complied"),
        "partially_complied": N_("Partially complied"),
        "not_complied": N_("Not complied"),
        "disputed": N_("Disputed"),
        "withdrawn": N_("Withdrawn"),
    },
    vocab.Origin: {
        "entered": N_("Entered by a person"),
        "imported": N_("Imported as the source gave it"),
        "classified": N_("Read by machine"),
    },
    vocab.DatePrecision: {"day": N_("Day"), "month": N_("Month"), "year": N_("Year")},
    vocab.Review: {
        "not_needed": N_("No review needed"),
        "awaiting": N_("Awaiting review"),
        "confirmed": N_("Confirmed by an editor"),
        "rejected": N_("Corrected by an editor"),
    },
    vocab.ReportTarget: {
        "decision": N_("Decision"),
        "recommendation": N_("Recommendation"),
        "organisation": N_("Organisation"),
    },
    vocab.ReportStatus: {"open": N_("Open"), "accepted": N_("Accepted"), "declined": N_("Declined")},
    vocab.Compliance: {
        "none": N_("No recommendations"),
        "pending": N_("Pending"),
        "complied": N_("Complied"),
        "partially_complied": N_("Partially complied"),
        "not_complied": N_("Not complied"),
        "disputed": N_("Disputed"),
    },
    vocab.Standing: {
        "in_force": N_("In force"),
        "under_appeal": N_("Under appeal"),
        "upheld": N_("Upheld"),
        "overturned": N_("Overturned"),
        "remitted": N_("Remitted"),
    },
    vocab.PenaltyStanding: {
        "in_force": N_("In force"),
        "contested": N_("Contested"),
        "overturned": N_("Overturned"),
    },
    vocab.CountryBy: {"regulator": N_("Regulator"), "organisation": N_("Organisation")},
    vocab.JurisdictionKind: {"country": N_("Country"), "international": N_("International")},
    vocab.Role: {"reader": N_("Reader"), "editor": N_("Editor"), "admin": N_("Administrator")},
    vocab.SearchType: {
        "decision": N_("Decision"),
        "finding": N_("Finding"),
        "recommendation": N_("Recommendation"),
        "organisation": N_("Organisation"),
        "regulator": N_("Regulator"),
        "case": N_("Case"),
        "document": N_("Document"),
    },
    vocab.EventType: {
        "decision.created": N_("New decision"),
        "recommendation.status_changed": N_("Status changed"),
        "decision.standing_changed": N_("Standing changed"),
        "assessment.created": N_("New assessment"),
    },
    vocab.TargetType: {
        "organisation": N_("Organisation"),
        "regulator": N_("Regulator"),
        "case": N_("Case"),
        "decision": N_("Decision"),
        "query": N_("Saved list"),
    },
    vocab.Channel: {"webhook": N_("Webhook"), "email": N_("E-mail")},
    vocab.DeliveryStatus: {
        "pending": N_("Pending"),
        "delivered": N_("Delivered"),
        "failed": N_("Failed"),
        "cancelled": N_("Cancelled"),
    },
    vocab.DocumentStatus: {
        "pending": N_("Pending"),
        "stored": N_("Stored"),
        "failed": N_("Failed"),
    },
    vocab.TextStatus: {
        "pending": N_("Pending"),
        "extracted": N_("Read"),
        "unreadable": N_("Unreadable"),
        "no_text": N_("No text (an image)"),
    },
    vocab.LinkStatus: {
        "unchecked": N_("Not checked yet"),
        "live": N_("Live"),
        "moved": N_("Moved"),
        "gone": N_("Gone"),
    },
    # The orders of the lists.
    vocab.DecisionSort: {
        "-issued_on": N_("Newest first"),
        "issued_on": N_("Oldest first"),
        "reference": N_("Reference A to Z"),
        "-reference": N_("Reference Z to A"),
        "title": N_("Title A to Z"),
        "-title": N_("Title Z to A"),
        "id": N_("First added first"),
        "-id": N_("Last added first"),
        "penalty_amount": N_("Smallest penalty first"),
        "-penalty_amount": N_("Largest penalty first"),
        "penalty_currency": N_("Currency A to Z"),
        "-penalty_currency": N_("Currency Z to A"),
        "kind": N_("Kind A to Z"),
        "-kind": N_("Kind Z to A"),
        "compliance": N_("Compliance, none to not complied"),
        "-compliance": N_("Compliance, not complied to none"),
    },
    vocab.RecommendationSort: {
        "id": N_("First added first"),
        "-id": N_("Last added first"),
        "due_on": N_("Soonest due first"),
        "-due_on": N_("Latest due first"),
        "status": N_("Status, pending to withdrawn"),
        "-status": N_("Status, withdrawn to pending"),
        "last_assessed_on": N_("Longest since assessed first"),
        "-last_assessed_on": N_("Most recently assessed first"),
    },
    vocab.OrganisationSort: {
        "name": N_("Name A to Z"),
        "-name": N_("Name Z to A"),
        "id": N_("First added first"),
        "-id": N_("Last added first"),
        "-decisions": N_("Most decisions first"),
        "decisions": N_("Fewest decisions first"),
        "-penalties": N_("Largest penalties first (in the chosen currency)"),
        "penalties": N_("Smallest penalties first (in the chosen currency)"),
        "-complied_share": N_("Largest share complied first"),
        "complied_share": N_("Smallest share complied first"),
    },
    vocab.RegulatorSort: {
        "name": N_("Name A to Z"),
        "-name": N_("Name Z to A"),
        "id": N_("First added first"),
        "-id": N_("Last added first"),
    },
    vocab.CaseSort: {
        "title": N_("Title A to Z"),
        "-title": N_("Title Z to A"),
        "id": N_("First added first"),
        "-id": N_("Last added first"),
    },
    vocab.CountrySort: {
        "-decisions": N_("Most decisions first"),
        "name": N_("Name A to Z"),
        "-recommendations": N_("Most recommendations first"),
        "-complied_share": N_("Largest share complied first"),
        "complied_share": N_("Smallest share complied first"),
        "-overdue": N_("Most overdue first"),
    },
}

EXPLANATIONS: dict[type[StrEnum], dict[str, str]] = {
    vocab.Status: {
        "pending": N_("Not yet assessed, or not yet due."),
        "complied": N_("The organisation did what was asked."),
        "partially_complied": N_("The organisation did some of what was asked."),
        "not_complied": N_("The organisation did not do what was asked."),
        "disputed": N_("The organisation and the regulator disagree on whether it complied."),
        "withdrawn": N_("The regulator withdrew the recommendation; it no longer counts."),
    },
    vocab.Compliance: {
        "none": N_("The decision made no recommendations."),
        "pending": N_("Some recommendations are still pending; none is known to be unmet."),
        "complied": N_("Every recommendation was complied with."),
        "partially_complied": N_("Some recommendations were complied with, some not."),
        "not_complied": N_("No recommendation was complied with."),
        "disputed": N_("Whether the recommendations were complied with is disputed."),
    },
    vocab.Standing: {
        "in_force": N_("No later decision has changed it."),
        "under_appeal": N_("A later decision is an appeal of it, not yet decided."),
        "upheld": N_("A later decision upheld it."),
        "overturned": N_("A later decision overturned it."),
        "remitted": N_("A later decision sent it back to be decided again."),
    },
}

# Codes whose label is the same in every vocabulary that has them, for a plain string (the
# orders of the lists aside: their codes are field names, labelled only as members).
_BY_VALUE: dict[str, str] = {}
for _enum, _labels in LABELS.items():
    if _enum in vocab.SORT_ORDERS:
        continue
    for _code, _text in _labels.items():
        _BY_VALUE.setdefault(_code, _text)


@cache
def translations(code: str = "en") -> NullTranslations:
    """The catalogue of the language `code`, compiled from its .po file (once, at first use)."""
    po = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=code, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext(message: str) -> str:
    """`message` in the reader's language (app.language). English is every text's own
    translation (the English catalogue says so), read without a lookup."""
    code = language.current()
    return message if code == language.ENGLISH else translations(code).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for `n`, in the reader's language."""
    code = language.current()
    if code == language.ENGLISH:
        return singular if n == 1 else plural
    return translations(code).ngettext(singular, plural, n)


def _table(value: object, tables: dict[type[StrEnum], dict[str, str]]) -> str | None:
    if isinstance(value, StrEnum):
        return tables.get(type(value), {}).get(value.value)
    return None


def label(value: object) -> str:
    """The human label of a code (an enum member, or its value); anything else as it is."""
    if value is None:
        return ""
    text = _table(value, LABELS) or _BY_VALUE.get(str(value))
    return gettext(text) if text is not None else str(value)


def explanation(value: object, kind: type[StrEnum] | None = None) -> str:
    """The one-line explanation of a status, compliance or standing ('' for other codes)."""
    if kind is not None and not isinstance(value, StrEnum):
        value = kind(str(value)) if str(value) in kind._value2member_map_ else value
    text = _table(value, EXPLANATIONS)
    if text is None and not isinstance(value, StrEnum):
        text = next((t[str(value)] for t in EXPLANATIONS.values() if str(value) in t), None)
    return gettext(text) if text is not None else ""


def choices(enum: Iterable[StrEnum], counts: Mapping[str, int] | None = None) -> list[tuple[str, str]]:
    """A vocabulary as (code, label) options of a select; with `counts`, each label followed by
    how many records have the code ("Complied (1,204)")."""
    if counts is None:
        return [(member.value, label(member)) for member in enum]
    return [(m.value, f"{label(m)} ({formats.number(counts.get(m.value, 0))})") for m in enum]


def in_words(codes: Iterable[str]) -> str:
    """Codes as their labels, joined: "Pending, Complied or Withdrawn"."""
    opening, closing = ("«\u00a0", "\u00a0»") if language.current() == language.FRENCH else ("“", "”")
    words = [f"{opening}{label(c)}{closing}" for c in codes]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " " + gettext(N_("or")) + " " + words[-1]
