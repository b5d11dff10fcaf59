"""The editing forms: create and edit every record, log assessments; refused input is shown
again beside its fields and nothing is half-written; stale edits are refused."""

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.models import AuditEntry
from app.vocab import Role
from tests.conftest import Api, table_counts
from tests.web_helpers import (
    fast_passwords,  # noqa: F401  (autouse: cheap argon2 costs)
    make_user,
    post_form,
    sign_in,
)


@pytest.fixture
def editor(api: Api) -> Api:
    sign_in(api.client, make_user(api.db))
    return api


def created_id(response: Any, collection: str) -> int:
    assert response.status_code == 303, response.text
    found = re.match(rf"^/{collection}/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def test_create_and_edit_a_regulator(editor: Api) -> None:
    response = post_form(
        editor.client,
        "/regulators/new",
        {"name": "Garante", "short_name": "GPDP", "jurisdiction": "it", "kind": "regulator", "website": ""},
    )
    reg_id = created_id(response, "regulators")
    record = editor.ok(editor.get(f"/api/v1/regulators/{reg_id}"))
    assert record["jurisdiction"] == "IT" and record["website"] is None
    page = editor.client.get(response.headers["location"])
    assert page.status_code == 200 and "Garante" in page.text
    assert '<p class="notice" role="status">Saved.</p>' in page.text

    edited = post_form(
        editor.client,
        f"/regulators/{reg_id}/edit",
        {"name": "Garante privacy", "short_name": "", "jurisdiction": "IT", "kind": "regulator"},
    )
    assert edited.status_code == 303
    record = editor.ok(editor.get(f"/api/v1/regulators/{reg_id}"))
    assert record["name"] == "Garante privacy" and record["short_name"] is None
    with editor.db.transaction() as session:
        actors = set(session.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "regulator")))
    assert actors == {"user:ed@example.org"}


def test_organisation_with_aliases_and_case_with_tags(editor: Api) -> None:
    org_id = created_id(
        post_form(
            editor.client,
            "/organisations/new",
            {
                "name": "Clearview AI, Inc.",
                "aliases": "Clearview\r\n\r\nClearview AI\n",
                "kind": "company",
                "country": "us",
            },
        ),
        "organisations",
    )
    org = editor.ok(editor.get(f"/api/v1/organisations/{org_id}"))
    assert org["aliases"] == ["Clearview", "Clearview AI"] and org["country"] == "US"
    form = editor.client.get(f"/organisations/{org_id}/edit").text
    assert "Clearview\nClearview AI</textarea>" in form

    case_id = created_id(
        post_form(
            editor.client, "/cases/new", {"title": "Scraping", "summary": "Faces", "tags": "faces\nai"}
        ),
        "cases",
    )
    assert editor.ok(editor.get(f"/api/v1/cases/{case_id}"))["tags"] == ["ai", "faces"]
    assert (
        post_form(editor.client, f"/cases/{case_id}/edit", {"title": "Scraping 2", "tags": ""}).status_code
        == 303
    )
    case = editor.ok(editor.get(f"/api/v1/cases/{case_id}"))
    assert case["title"] == "Scraping 2" and case["tags"] == [] and case["summary"] is None


def decision_form(reg_id: int, org_id: int, **extra: str) -> dict[str, str]:
    return {
        "reference": "PIPEDA #1",
        "title": "Clearview report",
        "kind": "report_of_findings",
        "issued_on": "2021-02-03",
        "summary": "Mass surveillance",
        "regulators.0.regulator_id": str(reg_id),
        "regulators.0.role": "lead",
        "regulators.1.regulator_id": "",
        "regulators.1.role": "lead",
        "organisations.0.organisation_id": str(org_id),
        "organisations.0.role": "respondent",
        "findings.0.text": "Collected without consent",
        "findings.0.provision": "PIPEDA s. 6.1",
        "findings.0.organisation_id": str(org_id),
        "findings.0.outcome": "well_founded",
        "findings.1.text": "",
        "findings.1.outcome": "contravention",
        "sources.0.url": "https://www.priv.gc.ca/report",
        "sources.0.title": "Report",
        "provisions": "PIPEDA s. 6.1\nPIPEDA s. 7",
        "tags": "facial-recognition",
        "penalty_amount": "",
        "penalty_currency": "",
        **extra,
    }


def test_decision_recommendations_and_assessments(editor: Api) -> None:
    reg = editor.regulator()
    org = editor.organisation()
    response = post_form(editor.client, "/decisions/new", decision_form(reg["id"], org["id"]))
    decision_id = created_id(response, "decisions")
    decision = editor.ok(editor.get(f"/api/v1/decisions/{decision_id}"))
    assert [r["regulator_id"] for r in decision["regulators"]] == [reg["id"]]
    assert decision["findings"][0]["outcome"] == "well_founded" and len(decision["findings"]) == 1
    assert decision["provisions"] == ["PIPEDA s. 6.1", "PIPEDA s. 7"]
    assert decision["sources"][0]["title"] == "Report"

    rec_ids = []
    for text in ("Stop offering the service", "Delete the images"):
        new = post_form(
            editor.client,
            f"/recommendations/new?decision_id={decision_id}",
            {
                "decision_id": str(decision_id),
                "organisation_id": str(org["id"]),
                "text": text,
                "kind": "recommendation",
                "due_on": "",
            },
        )
        assert new.status_code == 303 and new.headers["location"].startswith(f"/decisions/{decision_id}#rec-")
        rec_ids.append(int(new.headers["location"].rsplit("-", 1)[1]))
    form = editor.client.get(f"/recommendations/new?decision_id={decision_id}").text
    assert f'name="decision_id" value="PIPEDA #1 (#{decision_id})"' in form

    for rec_id, status in zip(rec_ids, ("complied", "not_complied"), strict=True):
        logged = post_form(
            editor.client,
            f"/recommendations/{rec_id}/assessments/new",
            {
                "status": status,
                "assessed_on": "2021-06-01",
                "asserted_by": "regulator",
                "note": "Checked",
                "source_url": "https://example.org/news",
                "source_title": "News",
                "source_quote": "",
            },
        )
        assert logged.status_code == 303
    page = editor.client.get(f"/decisions/{decision_id}").text
    assert 'id="decision-compliance"><span class="badge b-partially_complied"' in page
    assert "Checked" in page and 'href="https://example.org/news"' in page
    history = editor.ok(editor.get(f"/api/v1/recommendations/{rec_ids[0]}/assessments"))
    assert history[0]["recorded_by"] == "Ed"

    edited = post_form(
        editor.client,
        f"/recommendations/{rec_ids[1]}/edit",
        {
            "decision_id": str(decision_id),
            "organisation_id": str(org["id"]),
            "text": "Delete all images",
            "kind": "order",
            "due_on": "2022-01-01",
        },
    )
    assert edited.status_code == 303
    rec = editor.ok(editor.get(f"/api/v1/recommendations/{rec_ids[1]}"))
    assert rec["kind"] == "order" and rec["text"] == "Delete all images" and rec["overdue"]

    # The edit form is filled with the decision and its rows; saving it as is changes nothing.
    form = editor.client.get(f"/decisions/{decision_id}/edit").text
    assert 'value="PIPEDA #1"' in form and "Collected without consent</textarea>" in form
    again = post_form(editor.client, f"/decisions/{decision_id}/edit", {})
    assert again.status_code == 422  # an empty post: every required field is missing


def test_decision_edit_round_trips_its_rows(editor: Api) -> None:
    reg = editor.regulator()
    other = editor.regulator("Garante", "IT")
    org = editor.organisation()
    earlier = editor.decision(reg["id"], reference="EARLY", issued_on="2020-01-01")
    decision_id = created_id(
        post_form(editor.client, "/decisions/new", decision_form(reg["id"], org["id"])), "decisions"
    )
    form = decision_form(
        reg["id"],
        org["id"],
        title="Renamed",
        **{
            "regulators.1.regulator_id": str(other["id"]),
            "regulators.1.role": "joint",
            "related.0.decision_id": str(earlier["id"]),
            "related.0.relation": "follow_up_of",
            "penalty_amount": "1000.5",
            "penalty_currency": "cad",
        },
    )
    assert post_form(editor.client, f"/decisions/{decision_id}/edit", form).status_code == 303
    decision = editor.ok(editor.get(f"/api/v1/decisions/{decision_id}"))
    assert decision["title"] == "Renamed"
    assert [(r["regulator_id"], r["role"]) for r in decision["regulators"]] == [
        (reg["id"], "lead"),
        (other["id"], "joint"),
    ]
    assert decision["related"][0]["decision_id"] == earlier["id"]
    assert decision["penalty_amount"] == "1000.50" and decision["penalty_currency"] == "CAD"
    page = editor.client.get(f"/decisions/{earlier['id']}").text
    assert (
        'class="timeline chain"' in page and f'href="/decisions/{decision_id}"' in page and "Renamed" in page
    )


def test_invalid_input_is_shown_beside_each_field_and_kept(editor: Api) -> None:
    before = table_counts(editor.db)
    bad = post_form(
        editor.client,
        "/regulators/new",
        {
            "name": "",
            "jurisdiction": "Canada",
            "kind": "regulator",
            "website": "ftp://x",
            "short_name": "<b>k</b>",
        },
    )
    assert bad.status_code == 422
    for field in ("name", "jurisdiction", "website"):
        assert f'id="f-{field}-error"' in bad.text, field
    assert 'value="Canada"' in bad.text and 'value="&lt;b&gt;k&lt;/b&gt;"' in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert "must be a country code such as CA" in bad.text and "must be a web address" in bad.text
    assert table_counts(editor.db) == before

    reg = editor.regulator()
    org = editor.organisation()
    before = table_counts(editor.db)
    no_regulator = decision_form(
        reg["id"], org["id"], **{"regulators.0.regulator_id": "", "penalty_amount": "12"}
    )
    response = post_form(editor.client, "/decisions/new", no_regulator)
    assert response.status_code == 422
    assert 'id="f-regulators-error"' in response.text
    assert "Collected without consent</textarea>" in response.text  # input kept
    lone_amount = post_form(
        editor.client, "/decisions/new", decision_form(reg["id"], org["id"], penalty_amount="12")
    )
    assert lone_amount.status_code == 422
    assert "penalty_amount and penalty_currency go together" in lone_amount.text
    bad_row = decision_form(reg["id"], org["id"], **{"sources.0.url": "not a url"})
    response = post_form(editor.client, "/decisions/new", bad_row)
    assert response.status_code == 422 and 'id="f-sources-0-url-error"' in response.text
    assert 'value="not a url"' in response.text
    assert table_counts(editor.db) == before


def test_a_refusal_after_writing_started_leaves_nothing_behind(editor: Api) -> None:
    reg = editor.regulator()
    org = editor.organisation()
    later = editor.decision(reg["id"], reference="LATER", issued_on="2023-01-01")
    before = table_counts(editor.db)
    # The link points at a later decision: the service refuses it after flushing the rows.
    form = decision_form(
        reg["id"], org["id"], **{"related.0.decision_id": str(later["id"]), "related.0.relation": "appeal_of"}
    )
    response = post_form(editor.client, "/decisions/new", form)
    assert response.status_code == 422
    assert 'id="f-related-0-decision_id-error"' in response.text
    assert table_counts(editor.db) == before
    unknown = decision_form(
        reg["id"], org["id"], **{"related.0.decision_id": "99999", "related.0.relation": "upholds"}
    )
    response = post_form(editor.client, "/decisions/new", unknown)
    assert response.status_code == 422 and "there is no decision #99999" in response.text
    duplicate = post_form(
        editor.client, "/decisions/new", decision_form(reg["id"], org["id"], reference="LATER")
    )
    assert duplicate.status_code == 409 and 'id="f-reference-error"' in duplicate.text
    assert table_counts(editor.db) == before


def test_assessment_errors(editor: Api) -> None:
    reg = editor.regulator()
    org = editor.organisation()
    decision = editor.decision(reg["id"])
    rec = editor.recommendation(decision["id"], org["id"])
    before = table_counts(editor.db)
    future = post_form(
        editor.client,
        f"/recommendations/{rec['id']}/assessments/new",
        {"status": "complied", "assessed_on": "2999-01-01", "asserted_by": "press", "note": "kept note"},
    )
    assert (
        future.status_code == 422 and 'id="f-assessed_on-error"' in future.text and "kept note" in future.text
    )
    missing = post_form(
        editor.client, f"/recommendations/{rec['id']}/assessments/new", {"status": "", "asserted_by": "press"}
    )
    assert missing.status_code == 422 and 'id="f-status-error"' in missing.text
    assert table_counts(editor.db) == before
    assert editor.client.get("/recommendations/999/assessments/new").status_code == 404


def test_a_stale_edit_is_refused_and_the_input_kept(editor: Api) -> None:
    org = editor.organisation("Acme")
    form_page = editor.client.get(f"/organisations/{org['id']}/edit").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form_page).group(1)  # type: ignore[union-attr]
    # Someone else edits the organisation meanwhile (through the API).
    url = f"/api/v1/organisations/{org['id']}"
    editor.ok(editor.patch(url, {"country": "CA"}, headers=editor.current(url)))
    mine = {
        "csrf_token": token,
        "version": str(org["version"]),
        "name": "Acme Renamed",
        "kind": "company",
        "aliases": "ACME",
        "country": "",
        "website": "",
    }
    refused = editor.client.post(f"/organisations/{org['id']}/edit", data=mine, follow_redirects=False)
    assert refused.status_code == 409
    assert "Someone changed this record after you opened the form" in refused.text
    assert 'value="Acme Renamed"' in refused.text and "ACME</textarea>" in refused.text
    current = editor.ok(editor.get(f"/api/v1/organisations/{org['id']}"))
    assert current["name"] == "Acme" and current["country"] == "CA"
    # Field by field: the record's value now beside the user's (their kept input).
    assert (
        '<tr><th scope="row">country</th><td class="theirs">CA</td><td class="mine">(blank)</td></tr>'
        in refused.text
    )
    assert (
        '<tr><th scope="row">name</th><td class="theirs">Acme</td><td class="mine">Acme Renamed</td></tr>'
        in refused.text
    )
    assert 'target="_blank" rel="noopener">See the current record</a>' in refused.text
    # The form still carries the version first opened: saving again as it is stays refused.
    kept = re.search(r'name="version" value="(\d+)"', refused.text).group(1)  # type: ignore[union-attr]
    assert int(kept) == org["version"]
    seen = re.search(r'name="seen_version" value="(\d+)"', refused.text).group(1)  # type: ignore[union-attr]
    assert int(seen) == current["version"]
    again = editor.client.post(
        f"/organisations/{org['id']}/edit", data=mine | {"seen_version": seen}, follow_redirects=False
    )
    assert again.status_code == 409 and "the box to save yours over it was not ticked" in again.text
    assert editor.ok(editor.get(f"/api/v1/organisations/{org['id']}"))["name"] == "Acme"
    # Ticked, but the record changed again since the differences were shown: refused, new differences.
    editor.ok(editor.patch(url, {"website": "https://acme.example"}, headers=editor.current(url)))
    moved = editor.client.post(
        f"/organisations/{org['id']}/edit",
        data=mine | {"seen_version": seen, "overwrite": "on"},
        follow_redirects=False,
    )
    assert moved.status_code == 409 and '<td class="theirs">https://acme.example</td>' in moved.text
    seen = re.search(r'name="seen_version" value="(\d+)"', moved.text).group(1)  # type: ignore[union-attr]
    # Ticked beside the differences shown: a deliberate choice, saved.
    saved = editor.client.post(
        f"/organisations/{org['id']}/edit",
        data=mine | {"seen_version": seen, "overwrite": "on"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert editor.ok(editor.get(f"/api/v1/organisations/{org['id']}"))["name"] == "Acme Renamed"


@pytest.mark.parametrize(
    "collection", ["regulators", "organisations", "cases", "decisions", "recommendations"]
)
def test_every_form_page_opens(editor: Api, collection: str) -> None:
    reg = editor.regulator()
    org = editor.organisation()
    decision = editor.decision(reg["id"])
    rec = editor.recommendation(decision["id"], org["id"])
    case = editor.ok(editor.post("/api/v1/cases", {"title": "C"}), 201)
    ids = {
        "regulators": reg,
        "organisations": org,
        "cases": case,
        "decisions": decision,
        "recommendations": rec,
    }
    for path in (f"/{collection}/new", f"/{collection}/{ids[collection]['id']}/edit"):
        page = editor.client.get(path)
        assert page.status_code == 200, path
        assert 'name="csrf_token"' in page.text and "<label" in page.text
        assert "&#34;" not in page.text and "&amp;lt;" not in page.text
    assert editor.client.get(f"/{collection}/424242/edit").status_code == 404


EDIT_ROUTES = [
    "/regulators/new",
    "/regulators/{regulator}/edit",
    "/organisations/new",
    "/organisations/{organisation}/edit",
    "/cases/new",
    "/cases/{case}/edit",
    "/decisions/new",
    "/decisions/{decision}/edit",
    "/recommendations/new",
    "/recommendations/{recommendation}/edit",
    "/recommendations/{recommendation}/assessments/new",
]


@pytest.mark.parametrize("route", EDIT_ROUTES)
def test_every_editing_route_needs_an_editor(api: Api, route: str) -> None:
    reg = api.regulator()
    org = api.organisation()
    decision = api.decision(reg["id"])
    rec = api.recommendation(decision["id"], org["id"])
    case = api.ok(api.post("/api/v1/cases", {"title": "C"}), 201)
    path = route.format(
        regulator=reg["id"],
        organisation=org["id"],
        case=case["id"],
        decision=decision["id"],
        recommendation=rec["id"],
    )
    reader = make_user(api.db, "reader@example.org", Role.reader)
    before = table_counts(api.db)
    for method in ("GET", "POST"):
        response = api.client.request(method, path, data={"name": "x"}, follow_redirects=False)
        assert response.status_code == 303, method
        assert response.headers["location"].startswith("/signin?next="), method
    sign_in(api.client, reader)
    before["user_sessions"] += 1
    for method in ("GET", "POST"):
        response = api.client.request(method, path, data={"name": "x"}, follow_redirects=False)
        assert response.status_code == 403, method
    assert table_counts(api.db) == before


def test_an_edit_without_its_version_is_refused(editor: Api) -> None:
    reg = editor.regulator()
    for version in ("", "abc", "9" * 30):
        response = post_form(
            editor.client,
            f"/regulators/{reg['id']}/edit",
            {"version": version, "name": "Changed", "jurisdiction": "CA", "kind": "regulator"},
        )
        assert response.status_code == 409 and 'value="Changed"' in response.text
    assert editor.ok(editor.get(f"/api/v1/regulators/{reg['id']}"))["name"] == reg["name"]
