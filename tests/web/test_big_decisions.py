"""A big decision stays readable (issue 28, big records): its page shows its recommendations
50 at a time, of one status where asked, with their total, a link to the same as a list, and
the next page; a bad choice is a 422 said beside the list."""

import re

from tests.conftest import Api


def _big(api: Api) -> tuple[int, list[int]]:
    reg = api.regulator("Human Rights Council", "UN")
    org = api.organisation("Chile", kind="public_body")
    d = api.decision(reg["id"], reference="UPR 2013 Chile", issued_on="2013")
    ids = [api.recommendation(d["id"], org["id"], f"Recommendation number {i}")["id"] for i in range(120)]
    for rec_id in ids[:7]:
        api.assess(rec_id, "complied", "2014-01-01")
    return d["id"], ids


def test_a_decision_with_many_recommendations_shows_them_a_page_at_a_time(api: Api) -> None:
    decision_id, ids = _big(api)
    page = api.get(f"/decisions/{decision_id}")
    assert page.status_code == 200
    cards = re.findall(r'<article class="rec" id="rec-(\d+)"', page.text)
    assert [int(c) for c in cards] == ids[:50]
    text = " ".join(page.text.split())
    assert "Showing 50 of 120" in text and f"/recommendations?decision_id={decision_id}" in page.text
    # The next page follows on from the first, then the last holds the rest.
    second = api.get(
        re.search(r'href="([^"]+)#recs-title" rel="next"', page.text).group(1).replace("&amp;", "&")
    )
    assert [int(c) for c in re.findall(r'<article class="rec" id="rec-(\d+)"', second.text)] == ids[50:100]
    # One status: the 7 complied, and a link back to all.
    complied = api.get(f"/decisions/{decision_id}", params={"rec_status": "complied"})
    assert [int(c) for c in re.findall(r'<article class="rec" id="rec-(\d+)"', complied.text)] == ids[:7]
    assert "Showing 7 of 7" in " ".join(complied.text.split())
    # The page stays small: 50 cards, not 120.
    assert len(page.content) < 150_000


def test_a_bad_choice_of_recommendations_is_said_beside_them(api: Api) -> None:
    decision_id, _ = _big(api)
    bad = api.get(f"/decisions/{decision_id}", params={"rec_status": "sideways"})
    assert bad.status_code == 422 and "Which recommendations: should be" in " ".join(bad.text.split())
    forged = api.get(f"/decisions/{decision_id}", params={"rec_cursor": "garbage"})
    assert forged.status_code == 422 and "cursor" in forged.text
    # A small decision shows no choice at all.
    reg = api.regulator("CNIL", "FR")
    small = api.decision(reg["id"], reference="SAN-1", issued_on="2022-10-17")
    assert "Showing" not in api.get(f"/decisions/{small['id']}").text
