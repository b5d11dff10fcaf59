from fastapi import APIRouter, Response

from app.api.common import problems
from app.api.deps import Editor, SessionDep
from app.api.idempotency import ApiRoute
from app.schemas.duplicates import (
    AmountOut,
    ClusterRecord,
    DismissalRead,
    DismissRequest,
    DuplicateCluster,
    DuplicatePair,
    DuplicateRecord,
    DuplicatesRead,
)
from app.services.dedupe import clusters, suspicions
from app.services.record import duplicates

router = APIRouter(route_class=ApiRoute, prefix="/duplicates", tags=["duplicates"])


def _pair(p: duplicates.Pair) -> DuplicatePair:
    return DuplicatePair(
        kind=p.kind,
        reason=p.reason,
        records=[
            DuplicateRecord(id=p.first_id, name=p.first_name),
            DuplicateRecord(id=p.second_id, name=p.second_name),
        ],
    )


def _record(r: clusters.Record) -> ClusterRecord:
    return ClusterRecord(
        id=r.id,
        name=r.name,
        version=r.version,
        title=r.title,
        issued_on=r.issued_on,
        penalty=AmountOut(amount=r.penalty[0], currency=r.penalty[1]) if r.penalty else None,
        reported_amounts=[AmountOut(amount=a, currency=c) for a, c in r.reported],
        regulators=r.regulators,
        parties=r.parties,
        aliases=r.aliases,
        country=r.country,
        decision_count=r.decision_count if r.title is None else None,
    )


def _cluster(c: clusters.Cluster) -> DuplicateCluster:
    return DuplicateCluster(
        type="decision" if c.type == "decision" else "organisation",
        records=[_record(r) for r in c.records],
        pairs=[_pair(p) for p in c.pairs],
    )


@router.get("", response_model=DuplicatesRead, responses=problems(401, 403, 422))
def list_duplicates(session: SessionDep, _: Editor) -> DuplicatesRead:
    """Suspected duplicate decisions (the same regulator, respondent and day, with the same
    penalty or reference, the penalty in another currency, or a different penalty) and
    organisations (the same name but for legal form and punctuation, or near names), each pair
    with the reason, and the same pairs grouped into clusters with each record's title, date,
    penalty and parties (an organisation's names, country and decisions). Kept as the record
    changes, not computed on each request; pairs dismissed as not the same are never listed.
    Editors only."""
    found = {kind: suspicions.pairs(session, kind) for kind in suspicions.KINDS}
    return DuplicatesRead(
        decisions=[_pair(p) for p in found["decision"]],
        organisations=[_pair(p) for p in found["organisation"]],
        decision_clusters=[_cluster(c) for c in clusters.clusters(session, "decision")],
        organisation_clusters=[_cluster(c) for c in clusters.clusters(session, "organisation")],
    )


@router.post(
    "/dismiss",
    response_model=DismissalRead,
    status_code=201,
    responses=problems(400, 404, 422) | {200: {"description": "Already dismissed", "model": DismissalRead}},
)
def dismiss_duplicate(
    data: DismissRequest, session: SessionDep, _: Editor, response: Response
) -> DismissalRead:
    """Say that two records are not the same (`{"kind": "decision", "ids": [a, b]}`): the pair
    is never suggested again, whatever is edited or imported later (201; 200 when it was
    already dismissed). Audited. Editors only."""
    dismissal, new = suspicions.dismiss(session, kind=data.kind, ids=list(data.ids))
    if not new:
        response.status_code = 200
    return DismissalRead(
        kind=data.kind,
        ids=[dismissal.first_id, dismissal.second_id],
        dismissed_at=dismissal.dismissed_at,
        dismissed_by=dismissal.dismissed_by,
    )
