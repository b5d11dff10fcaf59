"""The parties that made a recommendation (`recommended_by`: UPR's recommending States), kept in
`recommendation_parties` with the role `recommending`: read for many recommendations in one
query, written with the recommendation, and filtered on (`?recommended_by=ID`)."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, cast, delete, exists, func, insert, select, update
from sqlalchemy.orm import Session

from app.models import Organisation, Recommendation, RecommendationParty
from app.services.shared.common import check_references
from app.vocab import RecommendationRole


def of(session: Session, ids: Iterable[int]) -> dict[int, list[int]]:
    """The recommending parties of each of these recommendations, in their order (one query)."""
    wanted = list(ids)
    out: dict[int, list[int]] = {i: [] for i in wanted}
    if not wanted:
        return out
    stmt = (
        select(RecommendationParty.recommendation_id, RecommendationParty.organisation_id)
        .where(RecommendationParty.recommendation_id.in_(wanted))
        .order_by(RecommendationParty.recommendation_id, RecommendationParty.position)
    )
    for rec_id, organisation_id in session.connection().execute(stmt):
        out[rec_id].append(organisation_id)
    return out


# The recommending parties of the recommendation of the row, in one column of the list's one
# statement: "position:id" pairs joined by commas (in no set order: `parse` orders them).
LISTED = (
    select(
        func.aggregate_strings(
            cast(RecommendationParty.position, String)
            + ":"
            + cast(RecommendationParty.organisation_id, String),
            ",",
        )
    )
    .where(RecommendationParty.recommendation_id == Recommendation.id)
    .correlate(Recommendation)
    .scalar_subquery()
    .label("recommended_by")
)


def parse(listed: str | None) -> list[int]:
    """The ids `LISTED` gives, in their order."""
    if not listed:
        return []
    pairs = sorted(tuple(int(n) for n in pair.split(":")) for pair in listed.split(","))
    return [id for _, id in pairs]


def check(session: Session, ids: list[int]) -> None:
    """Every recommending party names an organisation (422 naming the bad ones)."""
    check_references(session, [(f"recommended_by.{i}", Organisation, id) for i, id in enumerate(ids)])


def rows(recommendation_id: int, ids: Iterable[int]) -> list[dict[str, Any]]:
    """The table's rows for one recommendation's recommending parties."""
    return [
        {
            "recommendation_id": recommendation_id,
            "organisation_id": id,
            "role": RecommendationRole.recommending.value,
            "position": i,
        }
        for i, id in enumerate(ids)
    ]


def replace(session: Session, recommendation_id: int, ids: list[int]) -> None:
    """Set a recommendation's recommending parties to these, in this order."""
    session.execute(
        delete(RecommendationParty).where(RecommendationParty.recommendation_id == recommendation_id)
    )
    if ids:
        session.execute(insert(RecommendationParty), rows(recommendation_id, ids))


def made_by(organisation_id: int) -> Any:
    """The clause keeping the recommendations this organisation made (`?recommended_by=ID`)."""
    return exists().where(
        RecommendationParty.recommendation_id == Recommendation.id,
        RecommendationParty.organisation_id == organisation_id,
    )


def of_organisation(session: Session, organisation_id: int) -> list[int]:
    """The ids of the recommendations an organisation made."""
    stmt = select(RecommendationParty.recommendation_id).where(
        RecommendationParty.organisation_id == organisation_id
    )
    return sorted(session.scalars(stmt))


def move(session: Session, merged_id: int, into: int) -> list[int]:
    """A merge of organisations (app/services/record/merges.py): the recommendations the merged
    one made become the kept one's (where both made one, it is named once); their ids."""
    ids = of_organisation(session, merged_id)
    if not ids:
        return []
    both = select(RecommendationParty.recommendation_id).where(RecommendationParty.organisation_id == into)
    mine = RecommendationParty.organisation_id == merged_id
    session.execute(delete(RecommendationParty).where(mine, RecommendationParty.recommendation_id.in_(both)))
    session.execute(update(RecommendationParty).where(mine).values(organisation_id=into))
    return ids
