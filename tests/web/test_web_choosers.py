"""Choosers that scale: records chosen by typing over /api/v1/suggest, resolved on the server
without JavaScript (by exact name, alias or id, near matches named otherwise), and a new party
added from the decision form in the same transaction."""

import re
from typing import Any

import pytest

from tests.conftest import Api
from tests.web.test_web_forms import created_id, decision_form
from tests.web_helpers import fast_passwords, make_user, post_form, sign_in  # noqa: F401


@pytest.fixture
def editor(api: Api) -> Api:
    sign_in(api.client, make_user(api.db))
    return api


def test_suggest_api(api: Api) -> None:
    clearview = api.organisation("Clearview AI, Inc.", aliases=["Hoan Ton-That Inc"])
    api.organisation("Acme Clear Ltd")
    for i in range(15):
        api.organisation(f"Other {i:02d}")
    answer = api.get("/api/v1/suggest", params={"kind": "organisation", "q": "clear"})
    # The same answer for every caller (public data): cacheable by anyone.
    assert answer.headers["cache-control"].startswith("public")
    found = api.ok(answer)["items"]
    # Starting with what was typed first, then containing it.
    assert [s["label"] for s in found] == ["Clearview AI, Inc.", "Acme Clear Ltd"]
    assert found[0] == {
        "kind": "organisation",
        "id": clearview["id"],
        "label": "Clearview AI, Inc.",
        "value": f"Clearview AI, Inc. (#{clearview['id']})",
    }
    by_alias = api.ok(api.get("/api/v1/suggest", params={"kind": "organisation", "q": "ton-that"}))
    assert [s["id"] for s in by_alias["items"]] == [clearview["id"]]
    many = api.ok(api.get("/api/v1/suggest", params={"kind": "organisation", "q": "other", "limit": 5}))
    assert [s["label"] for s in many["items"]] == [f"Other {i:02d}" for i in range(5)]
    assert api.ok(api.get("/api/v1/suggest", params={"kind": "organisation", "q": "%"}))["items"] == []
    assert api.get("/api/v1/suggest", params={"kind": "person", "q": "x"}).status_code == 422
    assert (
        api.get("/api/v1/suggest", params={"kind": "organisation", "q": "x", "limit": 21}).status_code == 422
    )
    reg = api.regulator()
    decision = api.decision(reg["id"], reference="PIPEDA-2021-001")
    got = api.ok(api.get("/api/v1/suggest", params={"kind": "decision", "q": "pipeda"}))["items"]
    assert got == [
        {
            "kind": "decision",
            "id": decision["id"],
            "label": "PIPEDA-2021-001",
            "value": f"PIPEDA-2021-001 (#{decision['id']})",
        }
    ]
    # Without a kind: every kind, organisations first.
    every = api.ok(api.get("/api/v1/suggest", params={"q": "c", "limit": 20}))["items"]
    assert {s["kind"] for s in every} == {"organisation", "regulator"}
    assert every[0]["kind"] == "organisation" and every[-1]["kind"] == "regulator"
    assert api.ok(api.get("/api/v1/suggest"))["items"] == []


def test_form_has_no_dropdown_of_records(editor: Api) -> None:
    reg = editor.regulator()
    org = editor.organisation()
    for i in range(40):
        editor.organisation(f"Party {i:02d}")
    decision_id = created_id(
        post_form(editor.client, "/decisions/new", decision_form(reg["id"], org["id"])), "decisions"
    )
    page = editor.get(f"/decisions/{decision_id}/edit").text
    assert "Party 07" not in page
    assert page.count('data-suggest="organisation"') == 2 + 2 + 2  # parties and findings rows, 2 blanks each
    assert f'value="Clearview AI, Inc. (#{org["id"]})"' in page
    assert f'value="Office of the Privacy Commissioner of Canada (#{reg["id"]})"' in page


def _ids(decision: dict[str, Any], rows: str, field: str) -> list[int]:
    return [r[field] for r in decision[rows]]


def test_no_javascript_fallback_resolves_names(editor: Api) -> None:
    reg = editor.regulator()
    org = editor.organisation("Clearview AI, Inc.", aliases=["Clearview"])
    form = decision_form(
        reg["id"],
        org["id"],
        **{
            "regulators.0.regulator_id": "  office of the privacy commissioner of canada ",
            "organisations.0.organisation_id": "Clearview",  # by alias
            "findings.0.organisation_id": f"Clearview AI, Inc. (#{org['id']})",
        },
    )
    decision_id = created_id(post_form(editor.client, "/decisions/new", form), "decisions")
    decision = editor.ok(editor.get(f"/api/v1/decisions/{decision_id}"))
    assert _ids(decision, "regulators", "regulator_id") == [reg["id"]]
    assert _ids(decision, "organisations", "organisation_id") == [org["id"]]
    assert _ids(decision, "findings", "organisation_id") == [org["id"]]

    # A name that names nothing: refused beside its field, with the near matches.
    bad = decision_form(
        reg["id"], org["id"], reference="PIPEDA #2", **{"organisations.0.organisation_id": "Clearview AI"}
    )
    bad["findings.0.organisation_id"] = "#999"
    refused = post_form(editor.client, "/decisions/new", bad)
    assert refused.status_code == 422
    assert (
        "no organisation is named &#39;Clearview AI&#39;. Did you mean: Clearview AI, Inc. (#" in refused.text
    )
    assert 'id="f-organisations-0-organisation_id-error"' in refused.text
    assert 'value="Clearview AI"' in refused.text  # the input is kept
    assert 'id="f-findings-0-organisation_id-error"' in refused.text
    # Two with the same name: one must be chosen by id.
    twin = editor.organisation("Clearview AI, Inc.")
    bad["organisations.0.organisation_id"] = "Clearview AI, Inc."
    bad["findings.0.organisation_id"] = ""
    ambiguous = post_form(editor.client, "/decisions/new", bad)
    assert ambiguous.status_code == 422
    assert "2 organisations are named" in ambiguous.text and f"(#{twin['id']})" in ambiguous.text


def test_add_a_new_party_from_the_decision_form(editor: Api) -> None:
    reg = editor.regulator()
    org = editor.organisation()
    before = len(editor.ok(editor.get("/api/v1/organisations"))["items"])
    form = decision_form(
        reg["id"],
        org["id"],
        **{"organisations.1.organisation_id": "Newco Holdings Ltd", "organisations.1.role": "client"},
    )
    # Without the "new" box: refused, nothing made.
    refused = post_form(editor.client, "/decisions/new", form)
    assert refused.status_code == 422 and "tick “new” to add it" in refused.text
    # With it, but the decision invalid: nothing made either (one transaction).
    invalid = post_form(editor.client, "/decisions/new", form | {"organisations.1.create": "on", "title": ""})
    assert invalid.status_code == 422
    assert len(editor.ok(editor.get("/api/v1/organisations"))["items"]) == before
    made = post_form(editor.client, "/decisions/new", form | {"organisations.1.create": "on"})
    decision_id = created_id(made, "decisions")
    decision = editor.ok(editor.get(f"/api/v1/decisions/{decision_id}"))
    new_id = decision["organisations"][1]["organisation_id"]
    assert decision["organisations"][1]["role"] == "client"
    assert editor.ok(editor.get(f"/api/v1/organisations/{new_id}"))["name"] == "Newco Holdings Ltd"
    # Ticked for a name already in the record: that one is used, no duplicate.
    again = decision_form(reg["id"], org["id"], reference="PIPEDA #3")
    again |= {"organisations.0.organisation_id": "newco holdings ltd", "organisations.0.create": "on"}
    decision = editor.ok(
        editor.get(
            f"/api/v1/decisions/{created_id(post_form(editor.client, '/decisions/new', again), 'decisions')}"
        )
    )
    assert decision["organisations"][0]["organisation_id"] == new_id
    assert len(editor.ok(editor.get("/api/v1/organisations"))["items"]) == before + 1


def test_recommendation_form_chooses_decision_by_reference(editor: Api) -> None:
    reg = editor.regulator()
    editor.organisation()
    decision = editor.decision(reg["id"], reference="PIPEDA-2021-001")
    made = post_form(
        editor.client,
        "/recommendations/new",
        {
            "decision_id": "pipeda-2021-001",
            "organisation_id": "Clearview AI, Inc.",
            "text": "Stop",
            "kind": "order",
        },
    )
    assert made.status_code == 303 and made.headers["location"].startswith(
        f"/decisions/{decision['id']}#rec-"
    )
    rec_id = int(made.headers["location"].rsplit("-", 1)[1])
    page = editor.get(f"/recommendations/{rec_id}/edit").text
    assert re.search(rf'value="PIPEDA-2021-001 \(#{decision["id"]}\)"', page)


def test_list_filters_choose_records_by_typing(api: Api) -> None:
    """The list pages' filters name an organisation, regulator or case by typing, as the forms
    do: no dropdown of every record, a typed name or alias resolved on the server, a name that
    matches nothing refused beside its field with the near matches."""
    clearview = api.organisation("Clearview AI, Inc.", aliases=["Clearview"])
    for i in range(30):
        api.organisation(f"Party {i:02d}")
    regulator = api.regulator("Office of the Privacy Commissioner of Canada", "CA")
    decision = api.decision(
        regulator["id"],
        reference="PIPEDA-1",
        organisations=[{"organisation_id": clearview["id"], "role": "respondent"}],
    )
    api.decision(regulator["id"], reference="PIPEDA-2")
    for path in ("/decisions", "/recommendations", "/organisations"):
        filters = api.get(path).text.split('class="filters"', 1)[1].split("</form>", 1)[0]
        assert "Party 29" not in filters and 'data-suggest="organisation"' in filters, path
    by_alias = api.get("/decisions", params={"organisation_id": "clearview"})
    assert by_alias.status_code == 200
    rows = re.findall(r'href="/decisions/(\d+)"', by_alias.text.split("<tbody>", 1)[1])
    assert set(rows) == {str(decision["id"])}
    # The field shows the chosen record as the suggestions write it, and links keep the id.
    assert f'value="Clearview AI, Inc. (#{clearview["id"]})"' in by_alias.text
    assert f"organisation_id={clearview['id']}" in by_alias.text
    by_id = api.get("/decisions", params={"organisation_id": str(clearview["id"])})
    assert re.findall(r'href="/decisions/(\d+)"', by_id.text.split("<tbody>", 1)[1]) == rows
    typo = api.get("/decisions", params={"organisation_id": "Clearview Corp"})
    assert typo.status_code == 422
    message = re.search(r'id="f-organisation_id-error">([^<]+)<', typo.text)
    assert message and "no organisation is named" in message.group(1)
    assert "Clearview AI, Inc. (#" in message.group(1)
    regulator_typed = api.get(
        "/recommendations", params={"regulator_id": "office of the privacy commissioner of canada"}
    )
    assert regulator_typed.status_code == 200
    shown = f'value="Office of the Privacy Commissioner of Canada (#{regulator["id"]})"'
    assert shown in regulator_typed.text
