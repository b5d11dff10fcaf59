"""Duplicates a person can work through (issue 26, part 4): suspected pairs stored and kept in
step with the writes (not computed on each request), grouped into clusters with what a person
compares side by side, and "not the same" remembered for good (after edits, re-imports and a
rebuild)."""

import io
import tomllib

import pytest
from sqlalchemy import text

from app.services.dedupe import suspicions
from app.services.exchange.csv import importer as csv_import
from app.services.exchange.csv import mapping
from app.vocab import Role
from tests.conftest import Api, table_counts
from tests.web_helpers import csrf_of, make_user, sign_in

BBVA = [
    "Banco Bilbao Vizcaya Argentaria, SA",
    "Banco Bilbao Vizcaya Argentaria, S.A.",
    "Banco Bilbao Vizcaya Argentaria S.A.",
    "Banco Bilbao Vizcaya Argentaria S.L.",
    "BANCO BILBAO VIZCAYA ARGENTARIA, S.A",
]


def listed(api: Api) -> dict:
    return api.ok(api.get("/api/v1/duplicates", headers=api.auth(Role.editor)))


def test_five_spellings_are_one_cluster_side_by_side(api: Api) -> None:
    ids = [api.organisation(name, country="ES")["id"] for name in BBVA]
    api.organisation("BBC")
    found = listed(api)
    assert len(found["organisations"]) == 10  # every pair of five
    [cluster] = found["organisation_clusters"]
    assert cluster["type"] == "organisation"
    assert [r["id"] for r in cluster["records"]] == ids
    assert [r["name"] for r in cluster["records"]] == BBVA
    assert all(r["country"] == "ES" and r["decision_count"] == 0 for r in cluster["records"])
    assert len(cluster["pairs"]) == 10
    # Decisions side by side: titles, dates, penalties (with reported amounts) and parties.
    reg = api.regulator("Agencia Española de Protección de Datos", "ES")
    common = {
        "issued_on": "2020-12-10",
        "kind": "fine",
        "organisations": [{"organisation_id": ids[0], "role": "respondent"}],
        "penalty_currency": "EUR",
    }
    a = api.decision(reg["id"], reference="PS/1", penalty_amount="5000000", **common)
    b = api.decision(reg["id"], reference="PS/2", penalty_amount="4000000", **common)
    [decisions] = listed(api)["decision_clusters"]
    assert [r["id"] for r in decisions["records"]] == [a["id"], b["id"]]
    first = decisions["records"][0]
    assert first["title"] == "Decision PS/1" and first["issued_on"] == "2020-12-10"
    assert first["penalty"] == {"amount": "5000000.00", "currency": "EUR"}
    assert first["regulators"] == ["Agencia Española de Protección de Datos"] and first["parties"] == [
        BBVA[0]
    ]
    assert decisions["pairs"][0]["kind"] == "near"
    # The page: one table per cluster, the records side by side.
    sign_in(api.client, make_user(api.db))
    page = api.get("/duplicates").text
    assert "Organisations (1 clusters, 10 pairs)" in page and "Decisions (1 clusters, 1 pairs)" in page
    assert page.count('class="dup-cluster"') == 2
    assert "EUR 5,000,000" in page and "2020-12-10" in page


def test_suspicions_follow_the_writes_not_the_requests(api: Api) -> None:
    a = api.organisation("Deutsche Telekom AG")
    b = api.organisation("Telefonica")
    assert listed(api)["organisations"] == []
    # A rename makes a pair, in the write's own transaction...
    url = f"/api/v1/organisations/{b['id']}"
    api.ok(api.patch(url, {"name": "Deutsche Telecom"}, headers=api.current(url)))
    assert [[r["id"] for r in p["records"]] for p in listed(api)["organisations"]] == [[a["id"], b["id"]]]
    # ... and another unmakes it; an alias counts as a name.
    api.ok(api.patch(url, {"name": "Telefonica"}, headers=api.current(url)))
    assert listed(api)["organisations"] == []
    api.ok(api.patch(url, {"aliases": ["Deutsche Telekom"]}, headers=api.current(url)))
    assert [p["kind"] for p in listed(api)["organisations"]] == ["exact"]
    # A row written past every hook is not seen until something notes it: the list is read,
    # not computed on the request.
    with api.db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisations (name, kind, version, created_at, updated_at) "
                "VALUES ('Deutsche Telekom', 'company', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    assert len(listed(api)["organisations"]) == 1
    with api.db.transaction(actor="test") as session:
        assert suspicions.rebuild(session) == 3
    assert len(listed(api)["organisations"]) == 3
    # A merge takes the merged record's pairs away.
    version = api.get(url).headers["etag"]
    api.ok(api.post(f"{url}/merge", {"into": a["id"]}, headers={**api.auth(), "If-Match": version}))
    assert len(listed(api)["organisations"]) == 1


def test_not_the_same_is_remembered(api: Api) -> None:
    a = api.organisation("Deutsche Telekom AG")
    b = api.organisation("Deutsche Telecom")
    body = {"kind": "organisation", "ids": [b["id"], a["id"]]}
    assert api.post("/api/v1/duplicates/dismiss", body, role=Role.reader).status_code == 403
    before = table_counts(api.db)
    for bad, status in (
        ({"kind": "organisation", "ids": [a["id"], a["id"]]}, 422),
        ({"kind": "organisation", "ids": [a["id"]]}, 422),
        ({"kind": "regulator", "ids": [a["id"], b["id"]]}, 422),
        ({"kind": "organisation", "ids": [a["id"], 10**9]}, 404),
    ):
        refused = api.post("/api/v1/duplicates/dismiss", bad)
        assert refused.status_code == status, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert table_counts(api.db) == before
    done = api.post("/api/v1/duplicates/dismiss", body)
    assert done.status_code == 201, done.text
    assert done.json()["ids"] == [a["id"], b["id"]] and done.json()["kind"] == "organisation"
    assert api.post("/api/v1/duplicates/dismiss", body).status_code == 200  # once is enough
    assert listed(api)["organisations"] == []
    # Never again: after an edit of either, and after every pair is computed again.
    url = f"/api/v1/organisations/{b['id']}"
    api.ok(api.patch(url, {"name": "Deutsche Telekom"}, headers=api.current(url)))
    with api.db.transaction(actor="test") as session:
        suspicions.rebuild(session)
    assert listed(api)["organisations"] == []
    entries = api.ok(api.get("/api/v1/audit?entity=organisation", headers=api.auth(Role.admin)))
    assert any(e["action"] == "dismiss_duplicate" for e in entries["items"])


MAPPING = """
format = "findings-mapping"
version = 1
[decision]
reference = { column = "ref" }
title = { value = "Fine" }
kind = { value = "fine" }
issued_on = { column = "date", format = "%Y-%m-%d" }
penalty_amount = { column = "amount" }
penalty_currency = { value = "EUR" }
[regulator]
name = { column = "authority" }
jurisdiction = { value = "IT" }
[organisation]
name = { column = "controller" }
"""
# Eni's two fines of one day: a near pair, and two acts.
CSV = (
    "ref,date,amount,authority,controller\n"
    "G-1,2019-12-11,8500000,Garante,Eni gas e luce\n"
    "G-2,2019-12-11,3000000,Garante,Eni gas e luce\n"
)


def test_a_dismissed_pair_stays_dismissed_after_a_reimport(api: Api) -> None:
    spec = mapping.parse(tomllib.loads(MAPPING))
    with api.db.transaction(actor="test") as session:
        report = csv_import.import_csv(session, spec, io.BytesIO(CSV.encode()))
    assert report.created == 2
    [pair] = listed(api)["decisions"]
    assert pair["kind"] == "near"
    ids = [r["id"] for r in pair["records"]]
    # From the page: "Not the same".
    sign_in(api.client, make_user(api.db))
    page = api.get("/duplicates").text
    dismissed = api.client.post(
        "/duplicates/dismiss",
        data={"csrf_token": csrf_of(page), "kind": "decision", "first": str(ids[0]), "second": str(ids[1])},
        follow_redirects=False,
    )
    assert dismissed.status_code == 303 and dismissed.headers["location"] == "/duplicates"
    assert "Not the same: that pair will not be suggested again." in api.client.get("/duplicates").text
    assert listed(api)["decisions"] == []
    with api.db.transaction(actor="test") as session:
        again = csv_import.import_csv(session, spec, io.BytesIO(CSV.encode()))
    assert (again.created, again.matched) == (0, 2)
    assert listed(api)["decisions"] == []
    # An edit of either decision computes its pairs again: still left out.
    url = f"/api/v1/decisions/{ids[1]}"
    api.ok(api.patch(url, {"title": "Fine (second)"}, headers=api.current(url)))
    assert listed(api)["decisions"] == []


def test_a_regulator_renamed_pairs_its_decisions_only_where_its_names_meet_another_regulators(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decisions pair only where they share a regulator (by id or a name key): a rename matters
    where the old or new name is another regulator's, and nowhere else is compared again."""
    org = api.organisation("Grindr LLC")
    cnil = api.regulator("CNIL", "FR")
    other = api.regulator("Datatilsynet", "NO")
    same = {
        "issued_on": "2021-12-13",
        "kind": "fine",
        "penalty_amount": "100000",
        "penalty_currency": "EUR",
        "organisations": [{"organisation_id": org["id"], "role": "respondent"}],
    }
    a = api.decision(cnil["id"], reference="A-1", **same)
    b = api.decision(other["id"], reference="B-1", **same)
    assert listed(api)["decisions"] == []
    url = f"/api/v1/regulators/{other['id']}"
    api.ok(api.patch(url, {"name": "C.N.I.L."}))  # the same name key as CNIL's: one act
    assert [[r["id"] for r in p["records"]] for p in listed(api)["decisions"]] == [[a["id"], b["id"]]]
    api.ok(api.patch(url, {"name": "Datatilsynet"}))
    assert listed(api)["decisions"] == []
    # A rename to a name no other regulator has compares nothing again.
    loads: list[object] = []
    real = suspicions.duplicates.load
    monkeypatch.setattr(suspicions.duplicates, "load", lambda *a, **k: loads.append(k) or real(*a, **k))
    api.ok(api.patch(url, {"name": "Norwegian Data Protection Authority"}))
    api.ok(api.patch(f"/api/v1/regulators/{cnil['id']}", {"short_name": "CNIL-FR"}))
    assert loads == [] and listed(api)["decisions"] == []
    api.ok(api.patch(url, {"short_name": "cnil"}))  # its short name meets CNIL's name
    assert len(loads) == 1 and len(listed(api)["decisions"]) == 1
