"""The decision page's shortcuts give what the services they skip would give."""

import datetime as dt

import pytest
from sqlalchemy import select

from app.models import Decision
from app.services import demo
from app.services.record import chains, decisions
from app.web.pages import decision_chain
from tests.conftest import Api


@pytest.mark.parametrize("as_of", [None, dt.date(2022, 6, 1)])
def test_the_chain_of_every_demo_decision_is_the_services(api: Api, as_of: dt.date | None) -> None:
    with api.db.transaction(actor="test") as session:
        demo.load(session)
    with api.db.transaction(actor="test") as session:
        ids = list(session.scalars(select(Decision.id).order_by(Decision.id)))
        alone = linked = 0
        for decision_id in ids:
            decision = session.get(Decision, decision_id)
            assert decision is not None
            if as_of is not None and decision.issued_on > as_of:
                continue
            read = decisions.read(session, decision_id=decision_id, as_of=as_of)
            expected = chains.chain(session, decision_id=decision_id, as_of=as_of)
            assert decision_chain(session, read, as_of) == expected
            alone += len(expected) == 1
            linked += len(expected) > 1
        # Both kinds are among today's, so both ways are compared (the demo's links come later
        # than the other day).
        assert alone > 0 and (linked > 0 or as_of is not None)
