"""The dashboard's data is kept between changes (`reporting.dashboard`, keyed by the record's
version, the day and `as_of`): every change is seen by the next view, and what is kept is what
counting afresh gives."""

import datetime as dt

from app.services.reporting import dashboard
from tests.conftest import Api


def fresh_and_kept(api: Api, as_of: dt.date | None = None) -> tuple[dashboard.Dashboard, dashboard.Dashboard]:
    with api.db.transaction(write=False) as session:
        return dashboard._compute(session, as_of=as_of), dashboard.read(session, as_of=as_of)


def test_the_dashboard_follows_every_change_at_once(api: Api) -> None:
    fresh, kept = fresh_and_kept(api)
    assert kept == fresh and kept.latest == [] and kept.overdue.items == []
    assert "Nothing overdue." in api.get("/").text
    reg = api.regulator("Datatilsynet", "NO")
    org = api.organisation("Grindr")
    decision = api.decision(reg["id"], reference="DT-2021", issued_on="2021-12-13", kind="fine")
    assert f'href="/decisions/{decision["id"]}"' in api.get("/").text
    rec = api.recommendation(decision["id"], org["id"], due_on="2022-01-01")
    html = api.get("/").text
    assert f'href="/recommendations/{rec["id"]}"' in html and "Nothing overdue." not in html
    fresh, kept = fresh_and_kept(api)
    assert kept == fresh and [r.id for r in kept.overdue.items] == [rec["id"]]
    assert kept.org_names == {org["id"]: "Grindr"} and kept.sources == (0, 0)
    early = api.get("/", params={"as_of": "2021-12-31"}).text
    assert "Nothing overdue." in early and f'href="/decisions/{decision["id"]}' in early
    api.assess(rec["id"], "complied", "2022-02-01")
    html = api.get("/").text
    assert f'href="/recommendations/{rec["id"]}"' not in html.split("Latest decisions")[0]
    fresh, kept = fresh_and_kept(api)
    assert kept == fresh and kept.overdue.items == [] and len(kept.activity) == 1
    assert fresh_and_kept(api)[1] is kept  # read again between changes: the same


def test_the_kept_dashboard_is_written_in_each_readers_language(api: Api) -> None:
    """What is kept is data: the page (its charts too) is written per request."""
    reg = api.regulator("CNIL", "FR")
    api.decision(reg["id"], reference="SAN-2022-001", issued_on="2022-01-01", kind="fine")
    for _ in range(2):
        french = api.client.get("/", params={"lang": "fr"}).text
        english = api.client.get("/", params={"lang": "en"}).text
        assert "Dernières décisions" in french and "Les chiffres" in french and "Rien en retard." in french
        assert "Latest decisions" in english and "The figures" in english and "Nothing overdue." in english
        assert "Dernières décisions" not in english and "Les chiffres" not in english
