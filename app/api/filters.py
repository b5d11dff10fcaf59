"""The list filters of decisions and recommendations as dependencies, for the routes that take
the same filters as the lists (CSV exports, feeds)."""

from typing import Annotated, Any

from fastapi import Query

from app.api.decisions import Jurisdiction
from app.api.deps import AsOf, FilterId, Q
from app.schemas.common import IsoDate
from app.vocab import Compliance, DecisionKind, Status


def decision_filters(
    as_of: AsOf = None,
    regulator_id: FilterId = None,
    organisation_id: FilterId = None,
    case_id: FilterId = None,
    jurisdiction: Jurisdiction = None,
    kind: DecisionKind | None = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    issued_from: IsoDate | None = None,
    issued_to: IsoDate | None = None,
    compliance: Compliance | None = None,
    q: Q = None,
) -> dict[str, Any]:
    """The decision list's filters, as keyword arguments of `decisions.filtered`."""
    return {
        "as_of": as_of,
        "regulator_id": regulator_id,
        "organisation_id": organisation_id,
        "case_id": case_id,
        "jurisdiction": jurisdiction,
        "kind": kind,
        "tag": tag,
        "issued_from": issued_from,
        "issued_to": issued_to,
        "compliance_is": compliance,
        "q": q,
    }


def recommendation_filters(
    as_of: AsOf = None,
    status: Status | None = None,
    overdue: bool | None = None,
    organisation_id: FilterId = None,
    regulator_id: FilterId = None,
    decision_id: FilterId = None,
    reference: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    q: Q = None,
) -> dict[str, Any]:
    """The recommendation list's filters, as keyword arguments of `recommendations.filtered`."""
    return {
        "as_of": as_of,
        "status": status,
        "overdue": overdue,
        "organisation_id": organisation_id,
        "regulator_id": regulator_id,
        "decision_id": decision_id,
        "reference": reference,
        "q": q,
    }
