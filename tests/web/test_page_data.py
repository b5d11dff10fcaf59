"""A decision page's data is kept between changes (`pages.DECISION_PAGES`, keyed by the record's
version, the day, `as_of` and the choice of recommendations): every change is seen by the next
view, and a bad choice is still said beside the list."""

from app.web import pages
from tests.conftest import Api


def test_a_decision_page_follows_every_change_at_once(api: Api) -> None:
    reg = api.regulator("Datatilsynet", "NO")
    org = api.organisation("Grindr")
    decision = api.decision(reg["id"], reference="DT-2021", issued_on="2021-12-13")
    path = f"/decisions/{decision['id']}"
    assert 'class="rec"' not in api.get(path).text
    first = api.recommendation(decision["id"], org["id"], "Stop sharing location data")
    html = api.get(path).text
    assert html.count('class="rec"') == 1 and "Stop sharing location data" in html
    assert api.get(path).text == html  # read again between changes: the same
    api.assess(first["id"], "complied", "2022-02-01", note="Location data no longer shared.")
    html = api.get(path).text
    assert 'data-status="complied"' in html and "Location data no longer shared." in html
    assert api.get(path).text == html  # its history kept too, read again after its request ended
    api.recommendation(decision["id"], org["id"], "Delete what was shared")
    assert api.get(path).text.count('class="rec"') == 2
    api.ok(api.patch(f"/api/v1/regulators/{reg['id']}", {"name": "Datatilsynet (Norway)"}))
    assert "Datatilsynet (Norway)" in api.get(path).text
    # As of a day before the assessment, the first is still pending; the choice is in the key.
    early = api.get(path, params={"as_of": "2022-01-01"}).text
    assert 'data-status="complied"' not in early and early.count('class="rec"') == 2
    pending = api.get(path, params={"rec_status": "pending"}).text
    assert pending.count('class="rec"') == 1 and "Delete what was shared" in pending
    bad = api.get(path, params={"rec_status": "nonsense"})
    assert bad.status_code == 422 and "should be" in bad.text
    cursor = api.get(path, params={"rec_cursor": "not-a-cursor"})
    assert cursor.status_code == 422 and cursor.text.count('class="rec"') == 2
    again = api.get(path, params={"rec_cursor": "not-a-cursor"})  # kept: the same answer
    assert again.status_code == 422 and again.text == cursor.text
    assert any(key[0] == f"decision-page:{decision['id']}" for key in pages.DECISION_PAGES.entries)


def test_a_kept_decision_page_is_written_in_each_readers_language(api: Api) -> None:
    reg = api.regulator("CNIL", "FR")
    decision = api.decision(reg["id"], reference="SAN-2022-001", issued_on="2022-01-01")
    path = f"/decisions/{decision['id']}"
    for _ in range(2):
        french = api.client.get(path, params={"lang": "fr"}).text
        english = api.client.get(path, params={"lang": "en"}).text
        assert '<html lang="fr"' in french and '<html lang="en"' in english
        assert french != english.replace('lang="en"', 'lang="fr"')
