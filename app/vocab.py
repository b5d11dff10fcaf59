"""The fixed vocabularies of the domain, defined once.

Tables, schemas, forms and filters all use these enums; the database stores their values.
"""

from enum import StrEnum


class RegulatorKind(StrEnum):
    regulator = "regulator"
    court = "court"
    tribunal = "tribunal"
    ombudsman = "ombudsman"
    other = "other"


class OrganisationKind(StrEnum):
    company = "company"
    public_body = "public_body"
    law_enforcement = "law_enforcement"
    ngo = "ngo"
    individual = "individual"
    other = "other"


class DecisionKind(StrEnum):
    report_of_findings = "report_of_findings"
    order = "order"
    determination = "determination"
    formal_notice = "formal_notice"
    fine = "fine"
    enforcement_notice = "enforcement_notice"
    penalty = "penalty"
    judgment = "judgment"
    settlement = "settlement"
    other = "other"


class RegulatorRole(StrEnum):
    lead = "lead"
    joint = "joint"


class OrganisationRole(StrEnum):
    respondent = "respondent"
    client = "client"
    complainant = "complainant"
    affected = "affected"
    other = "other"


class RecommendationRole(StrEnum):
    """A party's part in a recommendation beside its addressee: UPR's recommending States."""

    recommending = "recommending"


class FindingOutcome(StrEnum):
    contravention = "contravention"
    no_contravention = "no_contravention"
    well_founded = "well_founded"
    not_well_founded = "not_well_founded"
    resolved = "resolved"
    other = "other"


class RecommendationKind(StrEnum):
    recommendation = "recommendation"
    order = "order"
    undertaking = "undertaking"
    # The obligation to pay a decision's penalty, made with the penalty and following it
    # (app/services/payments): its own line, never in a compliance or its counts.
    payment = "payment"


class AssertedBy(StrEnum):
    regulator = "regulator"
    organisation = "organisation"
    court = "court"
    press = "press"
    other = "other"


class Relation(StrEnum):
    appeal_of = "appeal_of"
    upholds = "upholds"
    overturns = "overturns"
    remits = "remits"
    follow_up_of = "follow_up_of"
    enforces = "enforces"


class Status(StrEnum):
    """Compliance status of one recommendation."""

    pending = "pending"
    complied = "complied"
    partially_complied = "partially_complied"
    not_complied = "not_complied"
    disputed = "disputed"
    withdrawn = "withdrawn"


class Origin(StrEnum):
    """Where an assessment's status came from."""

    entered = "entered"  # a person, through a page or the API
    imported = "imported"  # a status column of a source file, as the source gave it
    classified = "classified"  # derived from the reply's text by a mapping's `classify` rule


class DatePrecision(StrEnum):
    """How much of a date its source gives. The date is kept as the first day of what is
    known: 2013 (`year`) as 2013-01-01, February 2021 (`month`) as 2021-02-01."""

    day = "day"
    month = "month"
    year = "year"


class Review(StrEnum):
    """Whether a person has looked at an assessment's status."""

    not_needed = "not_needed"  # entered by a person, or imported as the source gave it
    awaiting = "awaiting"  # read by machine, not yet reviewed
    confirmed = "confirmed"  # read by machine, then confirmed by an editor
    rejected = "rejected"  # read by machine, then corrected by an editor (a new assessment)


class ReportTarget(StrEnum):
    """What a reader's error report is about."""

    decision = "decision"
    recommendation = "recommendation"
    organisation = "organisation"


class ReportStatus(StrEnum):
    """Where a reader's error report stands."""

    open = "open"  # in the review queue
    accepted = "accepted"  # an editor acted on it (the change it led to linked)
    declined = "declined"  # an editor declined it, with a reason


class Compliance(StrEnum):
    """Compliance derived over several recommendations (a decision, case, organisation...)."""

    none = "none"
    pending = "pending"
    complied = "complied"
    partially_complied = "partially_complied"
    disputed = "disputed"
    not_complied = "not_complied"


class Standing(StrEnum):
    in_force = "in_force"
    under_appeal = "under_appeal"
    upheld = "upheld"
    overturned = "overturned"
    remitted = "remitted"


class PenaltyStanding(StrEnum):
    """How a decision's penalty stands, from its decision's standing: `overturned` ones are no
    longer in force; `contested` ones (under appeal or remitted) are in force, said apart."""

    in_force = "in_force"
    contested = "contested"
    overturned = "overturned"


class CountryBy(StrEnum):
    """Whose country a decision is counted under on the countries' comparison."""

    regulator = "regulator"  # the country of a regulator that took it
    organisation = "organisation"  # the country of a party it involves


class JurisdictionKind(StrEnum):
    """A jurisdiction of the countries' comparison: a country, or an international body."""

    country = "country"
    international = "international"  # the UN, the EU's institutions: never counted as a country


class Role(StrEnum):
    """Access role of an API token or a user account; each includes the ones before it."""

    reader = "reader"
    editor = "editor"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: "Role") -> bool:
        return self.rank >= needed.rank


# Relations that change the standing of the decision they point at.
STANDING_RELATIONS: dict[Relation, Standing] = {
    Relation.appeal_of: Standing.under_appeal,
    Relation.upholds: Standing.upheld,
    Relation.overturns: Standing.overturned,
    Relation.remits: Standing.remitted,
}


class SearchType(StrEnum):
    """The kinds of record full-text search finds."""

    decision = "decision"
    finding = "finding"
    recommendation = "recommendation"
    organisation = "organisation"
    regulator = "regulator"
    case = "case"
    document = "document"  # a page of an archived document


class EventType(StrEnum):
    """What a subscription can be told about (the `type` of a webhook's payload)."""

    decision_created = "decision.created"
    status_changed = "recommendation.status_changed"
    standing_changed = "decision.standing_changed"
    assessment_created = "assessment.created"


class TargetType(StrEnum):
    """What a subscription follows."""

    organisation = "organisation"
    regulator = "regulator"
    case = "case"
    decision = "decision"
    query = "query"  # a saved decision-list query (the list's filters)


class Channel(StrEnum):
    webhook = "webhook"
    email = "email"


class DeliveryStatus(StrEnum):
    pending = "pending"  # due at `next_attempt_at` (a retry, or the next digest)
    delivered = "delivered"
    failed = "failed"  # gave up after the last retry
    cancelled = "cancelled"  # the subscription was disabled or deleted first


# -- The orders of the lists ----------------------------------------------------------------
# One per list: the codes its `sort` takes (a leading `-` reverses the order), shared by the
# API's parameter, the pages' choice of order and the service's keys (`SORTS`, tested to match).


class DecisionSort(StrEnum):
    issued_on_desc = "-issued_on"
    issued_on_asc = "issued_on"
    reference_asc = "reference"
    reference_desc = "-reference"
    title_asc = "title"
    title_desc = "-title"
    id_asc = "id"
    id_desc = "-id"
    penalty_amount_asc = "penalty_amount"
    penalty_amount_desc = "-penalty_amount"
    penalty_currency_asc = "penalty_currency"
    penalty_currency_desc = "-penalty_currency"
    kind_asc = "kind"
    kind_desc = "-kind"
    compliance_asc = "compliance"
    compliance_desc = "-compliance"


class RecommendationSort(StrEnum):
    id_asc = "id"
    id_desc = "-id"
    due_on_asc = "due_on"
    due_on_desc = "-due_on"
    status_asc = "status"
    status_desc = "-status"
    last_assessed_on_asc = "last_assessed_on"
    last_assessed_on_desc = "-last_assessed_on"


class OrganisationSort(StrEnum):
    name_asc = "name"
    name_desc = "-name"
    id_asc = "id"
    id_desc = "-id"
    decisions_desc = "-decisions"
    decisions_asc = "decisions"
    # By the penalties imposed in one currency (the list's `penalty_currency`).
    penalties_desc = "-penalties"
    penalties_asc = "penalties"
    complied_share_desc = "-complied_share"
    complied_share_asc = "complied_share"


class RegulatorSort(StrEnum):
    name_asc = "name"
    name_desc = "-name"
    id_asc = "id"
    id_desc = "-id"


class CaseSort(StrEnum):
    title_asc = "title"
    title_desc = "-title"
    id_asc = "id"
    id_desc = "-id"


class CountrySort(StrEnum):
    decisions_desc = "-decisions"
    name_asc = "name"
    recommendations_desc = "-recommendations"
    complied_share_desc = "-complied_share"
    complied_share_asc = "complied_share"
    overdue_desc = "-overdue"


SORT_ORDERS: tuple[type[StrEnum], ...] = (
    DecisionSort,
    RecommendationSort,
    OrganisationSort,
    RegulatorSort,
    CaseSort,
    CountrySort,
)


# -- Archived documents (evidence) ----------------------------------------------------------


class DocumentStatus(StrEnum):
    """Whether a document's bytes are held."""

    pending = "pending"  # a link given, to be fetched by the worker
    stored = "stored"  # the bytes are kept (uploaded, or fetched)
    failed = "failed"  # the fetch failed for good; the reason is kept


class TextStatus(StrEnum):
    """Whether a stored document's text could be read (by the worker, never in a request)."""

    pending = "pending"
    extracted = "extracted"
    unreadable = "unreadable"  # encrypted, scanned, malformed or over a limit: the reason is kept
    no_text = "no_text"  # an image: no text to read


class LinkStatus(StrEnum):
    """What a document's original link answers when the worker checks it again."""

    unchecked = "unchecked"
    live = "live"  # answers with the same address
    moved = "moved"  # answers, after a redirect elsewhere
    gone = "gone"  # 404, 410, or no such host any more
