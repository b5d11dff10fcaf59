"""The organisations list answers "who was fined most, in which currency", "who has most
decisions" and "who complies most": ordered by the figures of each organisation's record (as of
the list's day), every page following on from the last, organisations without the figure last."""

from typing import Any

from tests.conftest import Api


def _record(api: Api) -> dict[str, Any]:
    ico = api.regulator("Information Commissioner's Office", "GB")
    cnil = api.regulator("CNIL", "FR")
    orgs = {name: api.organisation(name) for name in ("Alpha", "Beta", "Gamma", "Delta")}

    def fine(regulator: dict[str, Any], ref: str, day: str, amount: str, currency: str, *who: str) -> Any:
        return api.decision(
            regulator["id"],
            reference=ref,
            issued_on=day,
            kind="fine",
            penalty_amount=amount,
            penalty_currency=currency,
            organisations=[{"organisation_id": orgs[w]["id"], "role": "respondent"} for w in who],
        )

    fine(cnil, "C-1", "2020-01-10", "20000000", "EUR", "Alpha")
    fine(cnil, "C-2", "2022-06-01", "50000000", "EUR", "Beta")
    fine(cnil, "C-3", "2022-07-01", "1000", "EUR", "Beta")
    fine(ico, "I-1", "2021-03-01", "7552800", "GBP", "Gamma")
    # Alpha: a witness to one more decision (involved, not fined there).
    api.decision(
        ico["id"],
        reference="I-2",
        issued_on="2021-05-01",
        organisations=[{"organisation_id": orgs["Alpha"]["id"], "role": "complainant"}],
    )
    # Shares complied: Gamma 1 of 1, Beta 1 of 2 (since 2023), Alpha 0 of 1, Delta none.
    d = api.decision(cnil["id"], reference="C-4", issued_on="2021-01-01")
    done = api.recommendation(d["id"], orgs["Gamma"]["id"], "Delete")
    api.assess(done["id"], "complied", "2021-06-01")
    half = api.recommendation(d["id"], orgs["Beta"]["id"], "Stop")
    api.assess(half["id"], "complied", "2023-02-01")
    api.recommendation(d["id"], orgs["Beta"]["id"], "Tell people")
    # Alpha complied in 2021, then stopped (not complied since 2023).
    lapsed = api.recommendation(d["id"], orgs["Alpha"]["id"], "Appoint a DPO")
    api.assess(lapsed["id"], "complied", "2021-02-01")
    api.assess(lapsed["id"], "not_complied", "2023-03-01")
    return orgs


def _names(api: Api, **params: Any) -> list[str]:
    """Every organisation of the list in its order, read a page of 2 at a time."""
    names, cursor = [], None
    while True:
        page = api.ok(api.get("/api/v1/organisations", params={"limit": 2, **params, "cursor": cursor}))
        names += [o["name"] for o in page["items"]]
        if not (cursor := page["next_cursor"]):
            return names


def test_organisations_ordered_by_their_penalties_in_one_currency(api: Api) -> None:
    _record(api)
    assert _names(api, sort="-penalties", penalty_currency="EUR") == ["Beta", "Alpha"]
    assert _names(api, sort="penalties", penalty_currency="eur") == ["Alpha", "Beta"]
    assert _names(api, sort="-penalties", penalty_currency="GBP") == ["Gamma"]
    # As of a day before Beta's fines, Alpha alone was fined in euros.
    assert _names(api, sort="-penalties", penalty_currency="EUR", as_of="2021-12-31") == ["Alpha"]
    # The currency alone filters, in any order.
    assert _names(api, penalty_currency="EUR") == ["Alpha", "Beta"]


def test_ordering_by_penalties_needs_a_currency(api: Api) -> None:
    _record(api)
    r = api.get("/api/v1/organisations", params={"sort": "-penalties"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == ["query.penalty_currency"]
    page = api.get("/organisations", params={"sort": "-penalties"})
    assert page.status_code == 422 and "needed to order by penalties" in page.text


def test_organisations_ordered_by_decisions_and_by_share_complied(api: Api) -> None:
    _record(api)
    # Decisions where each is a party: Alpha 2 (C-1, I-2), Beta 2 (C-2, C-3), Gamma 1, Delta 0;
    # a tie goes by id in the same direction (Beta was added after Alpha).
    assert _names(api, sort="-decisions") == ["Beta", "Alpha", "Gamma", "Delta"]
    assert _names(api, sort="decisions") == ["Delta", "Gamma", "Alpha", "Beta"]
    # As of 2020, only Alpha's first fine was issued.
    assert _names(api, sort="-decisions", as_of="2020-12-31")[0] == "Alpha"
    # Shares: Gamma 1.0, Beta 0.5, Alpha 0.0; Delta has none and comes last both ways.
    assert _names(api, sort="-complied_share") == ["Gamma", "Beta", "Alpha", "Delta"]
    assert _names(api, sort="complied_share") == ["Alpha", "Beta", "Gamma", "Delta"]
    # As of 2022, Beta had complied with nothing yet and Alpha with all (ties by id, descending).
    assert _names(api, sort="-complied_share", as_of="2022-12-31") == ["Gamma", "Alpha", "Beta", "Delta"]
    # The order is the reads' complied_share, in which a fine's obligation to pay counts for
    # nothing: Eta complied with its one recommendation and has four fines unpaid (1 of 5, were
    # the obligations counted, below Beta's 1 of 4 and Gamma's 1 of 2).
    cnil = api.regulator("Garante", "IT")
    eta = api.organisation("Eta")
    for ref, day in (
        ("G-1", "2023-01-01"),
        ("G-2", "2023-02-01"),
        ("G-3", "2023-03-01"),
        ("G-4", "2023-04-01"),
    ):
        api.decision(
            cnil["id"],
            reference=ref,
            issued_on=day,
            kind="fine",
            penalty_amount="10",
            penalty_currency="EUR",
            organisations=[{"organisation_id": eta["id"], "role": "respondent"}],
        )
    order = api.decision(cnil["id"], reference="G-5", issued_on="2023-01-01")
    api.assess(api.recommendation(order["id"], eta["id"], "Stop")["id"], "complied", "2023-06-01")
    shares = [
        o["complied_share"] for o in _items(api, sort="-complied_share") if o["complied_share"] is not None
    ]
    assert shares == sorted(shares, reverse=True) == [1.0, 1.0, 0.5, 0.0]


def _items(api: Api, **params: Any) -> list[dict[str, Any]]:
    return api.ok(api.get("/api/v1/organisations", params={"limit": 50, **params}))["items"]


def test_the_organisations_page_orders_by_penalties(api: Api) -> None:
    _record(api)
    page = api.get("/organisations", params={"sort": "-penalties", "penalty_currency": "EUR"})
    assert page.status_code == 200
    text = page.text
    assert text.index(">Beta<") < text.index(">Alpha<") and ">Gamma<" not in text
