"""Countries side by side: per jurisdiction (by the regulator's country or by the parties'),
decisions, penalties (imposed, in force, contested) by currency, recommendation counts,
complied share and overdue, as of any day, filtered by year and kind; international bodies
apart; in the API, as CSV, and on a page in words with a chart."""

from typing import Any

from tests.conftest import Api
from tests.reporting.test_csv_export import read_csv


def _record(api: Api) -> dict[str, Any]:
    """Canada's and Québec's commissioners decide jointly (one Canadian decision, counted once);
    the ICO fines Clearview in GBP (overturned in 2023); the Garante fines it in EUR; the UN's
    review recommends to Canada's government; a French company is a party of the Garante's."""
    opc = api.regulator("Office of the Privacy Commissioner of Canada", "CA")
    cai = api.regulator("Commission d'accès à l'information du Québec", "CA-QC")
    ico = api.regulator("Information Commissioner's Office", "GB")
    tribunal = api.regulator("First-tier Tribunal", "GB", kind="tribunal")
    garante = api.regulator("Garante", "IT")
    un = api.regulator("UN Human Rights Council", "UN", kind="other")
    clearview = api.organisation("Clearview AI, Inc.", country="US")
    canada = api.organisation("Government of Canada", country="CA", kind="public_body")
    french = api.organisation("Société Générale", country="FR")
    nowhere = api.organisation("Nobody knows where")
    respondent = [{"organisation_id": clearview["id"], "role": "respondent"}]

    joint = api.decision(
        opc["id"],
        reference="PIPEDA-2021-001",
        issued_on="2021-02-03",
        regulators=[
            {"regulator_id": opc["id"], "role": "lead"},
            {"regulator_id": cai["id"], "role": "joint"},
        ],
        organisations=respondent,
    )
    done = api.recommendation(joint["id"], clearview["id"], "Stop collecting")
    api.assess(done["id"], "complied", "2021-06-01")
    api.recommendation(joint["id"], clearview["id"], "Delete the images", due_on="2021-05-01")
    gbp = api.decision(
        ico["id"],
        reference="ICO",
        issued_on="2022-05-23",
        kind="fine",
        penalty_amount="7552800",
        penalty_currency="GBP",
        organisations=respondent,
    )
    api.decision(
        tribunal["id"],
        reference="FTT",
        issued_on="2023-10-17",
        kind="judgment",
        related=[{"decision_id": gbp["id"], "relation": "overturns"}],
    )
    api.decision(
        garante["id"],
        reference="IT-1",
        issued_on="2022-03-09",
        kind="fine",
        penalty_amount="20000000",
        penalty_currency="EUR",
        organisations=[*respondent, {"organisation_id": french["id"], "role": "client"}],
    )
    upr = api.decision(un["id"], reference="UPR-CA-4", issued_on="2023-11-10", kind="report_of_findings")
    api.recommendation(upr["id"], canada["id"], "Ratify the optional protocol")
    api.decision(
        ico["id"],
        reference="ICO-2",
        issued_on="2024-01-10",
        organisations=[{"organisation_id": nowhere["id"], "role": "respondent"}],
    )
    return {"clearview": clearview}


def _by_code(listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["jurisdiction"]: item for item in listing["items"]}


def test_countries_by_the_regulators_country(api: Api) -> None:
    _record(api)
    listing = api.ok(api.get("/api/v1/countries"))
    assert listing["by"] == "regulator"
    # Countries first (most decisions first), then international bodies.
    assert [(i["jurisdiction"], i["kind"]) for i in listing["items"]] == [
        ("GB", "country"),
        ("CA", "country"),
        ("IT", "country"),
        ("UN", "international"),
    ]
    found = _by_code(listing)
    assert found["GB"]["name"] == "United Kingdom"
    assert found["UN"]["name"] == "United Nations"
    # The joint Canadian decision (a regulator of CA and one of CA-QC) counts once for Canada.
    assert found["CA"]["decision_count"] == 1
    assert found["CA"]["recommendation_counts"] == {"complied": 1, "pending": 1}
    assert found["CA"]["complied_share"] == 0.5
    assert found["CA"]["compliance"] == "partially_complied"
    assert found["CA"]["overdue"] == 1
    assert found["CA"]["penalties"] == {}
    # The GBP fine was overturned: imposed, not in force.
    assert found["GB"]["decision_count"] == 3
    assert (found["GB"]["penalties"], found["GB"]["penalties_in_force"]) == (
        {"GBP": "7552800.00"},
        {"GBP": "0.00"},
    )
    assert found["IT"]["penalties_in_force"] == {"EUR": "20000000.00"}
    assert found["UN"]["recommendation_counts"] == {"pending": 1}
    assert listing["uncounted_decisions"] == 0


def test_countries_as_of_a_day_by_year_and_kind(api: Api) -> None:
    _record(api)
    then = _by_code(api.ok(api.get("/api/v1/countries", params={"as_of": "2022-12-31"})))
    assert set(then) == {"CA", "GB", "IT"}
    assert then["GB"]["penalties_in_force"] == {"GBP": "7552800.00"}  # not yet overturned
    assert then["GB"]["decision_count"] == 1
    fines = _by_code(api.ok(api.get("/api/v1/countries", params={"kind": "fine"})))
    assert {k: v["decision_count"] for k, v in fines.items()} == {"GB": 1, "IT": 1}
    in_2023 = _by_code(api.ok(api.get("/api/v1/countries", params={"year": 2023})))
    assert {k: v["decision_count"] for k, v in in_2023.items()} == {"GB": 1, "UN": 1}
    by_name = api.ok(api.get("/api/v1/countries", params={"sort": "name"}))["items"]
    assert [i["name"] for i in by_name] == ["Canada", "Italy", "United Kingdom", "United Nations"]
    share = api.ok(api.get("/api/v1/countries", params={"sort": "-complied_share"}))["items"]
    # Those without a recommendation (no share) after those with one, by name.
    assert [i["jurisdiction"] for i in share] == ["CA", "IT", "GB", "UN"]


def test_countries_by_the_parties_country(api: Api) -> None:
    _record(api)
    listing = api.ok(api.get("/api/v1/countries", params={"by": "organisation"}))
    found = _by_code(listing)
    assert set(found) == {"US", "CA", "FR"}
    # Clearview (US) is the respondent of three decisions: two fines, one in force.
    assert found["US"]["decision_count"] == 3
    assert found["US"]["penalties"] == {"EUR": "20000000.00", "GBP": "7552800.00"}
    assert found["US"]["penalties_in_force"] == {"EUR": "20000000.00", "GBP": "0.00"}
    # The French company is only a client: its decision counts, the penalty does not.
    assert found["FR"]["decision_count"] == 1 and found["FR"]["penalties"] == {}
    # Canada's government is addressed by the UN's recommendation, without being a party.
    assert found["CA"]["recommendation_counts"] == {"pending": 1}
    # The judgment has no party, the ICO's second decision a party of no known country.
    assert listing["uncounted_decisions"] == 3


def test_bad_countries_queries_are_422(api: Api) -> None:
    for params in (
        {"by": "planet"},
        {"year": "last"},
        {"kind": "nonsense"},
        {"sort": "size"},
        {"as_of": "x"},
    ):
        answer = api.get("/api/v1/countries", params=params)
        assert answer.status_code == 422, params
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_countries_as_csv(api: Api) -> None:
    _record(api)
    rows = {row["jurisdiction"]: row for row in read_csv(api, "/api/v1/export/countries.csv")}
    assert rows["GB"]["name"] == "United Kingdom"
    assert rows["GB"]["penalties_GBP"] == "7552800.00"
    assert rows["GB"]["penalties_in_force_GBP"] == "0.00"
    assert rows["CA"]["complied_share"] == "0.5"
    assert rows["CA"]["recommendations_complied"] == "1"
    assert rows["UN"]["kind"] == "international"
    assert read_csv(api, "/api/v1/export/countries.csv", by="organisation")[0]["jurisdiction"] == "US"


def test_the_countries_page_compares_in_words(api: Api) -> None:
    _record(api)
    page = api.get("/countries")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "Countries side by side" in text
    assert "United Kingdom</a>" in text and "Canada</a>" in text
    assert "7,552,800.00 GBP" in text and "0.00 GBP in force" in text
    assert "1 of 2 complied" in text
    # International bodies apart, never as countries.
    countries, _, international = text.partition("International bodies")
    assert "United Nations" not in countries and "United Nations" in international
    # The CSV link keeps the query; headings sort; both charts are drawn.
    chosen = " ".join(api.get("/countries", params={"kind": "fine", "by": "organisation"}).text.split())
    assert "/api/v1/export/countries.csv?kind=fine&amp;by=organisation" in chosen
    assert 'aria-sort="descending"' in text and "sort=name" in text
    assert 'id="chart-country-decisions"' in text and 'id="chart-country-penalties"' in text
    # The dashboard's country chart names countries in words, the UN as international.
    dashboard = api.get("/").text
    assert "United Kingdom" in dashboard and "United Nations (international)" in dashboard


def test_a_bad_countries_query_is_named_on_the_page(api: Api) -> None:
    page = api.get("/countries", params={"year": "soon", "by": "planet"})
    assert page.status_code == 422
    assert "Some of the query is not valid" in page.text
    assert 'id="f-year"' in page.text
