"""Public attribution names no account: pages, API and export show a display name or a role;
the full actor is in the audit log, for admins."""

import json

from app.vocab import Role
from tests.conftest import Api
from tests.web_helpers import fast_passwords, post_form  # noqa: F401 (fast_passwords: a fixture)


def _record(api: Api) -> tuple[int, int]:
    reg = api.regulator()
    org = api.organisation()
    decision = api.decision(reg["id"])
    rec = api.recommendation(decision["id"], org["id"])
    return decision["id"], rec["id"]


def test_signed_out_pages_api_and_export_show_no_account(api: Api) -> None:
    decision_id, rec_id = _record(api)
    api.sign_in(Role.editor)  # the account editor@example.org, display name "Editor"
    logged = post_form(
        api.client,
        f"/recommendations/{rec_id}/assessments/new",
        {"status": "complied", "assessed_on": "2021-06-01", "asserted_by": "regulator"},
    )
    assert logged.status_code == 303
    api.assess(rec_id, "not_complied", "2021-07-01")  # by the token test-editor
    api.client.cookies.clear()

    for path in (f"/recommendations/{rec_id}", f"/decisions/{decision_id}"):
        page = api.get(path)
        assert page.status_code == 200
        assert "editor@example.org" not in page.text and "token:test-editor" not in page.text
        assert "user:" not in page.text
        assert "recorded 20" in page.text and "by Editor</span>" in page.text
        assert "by an editor</span>" in page.text

    history = api.ok(api.get(f"/api/v1/recommendations/{rec_id}/assessments"))
    assert [a["recorded_by"] for a in history] == ["Editor", "editor"]

    export = api.get("/api/v1/export")
    assert export.status_code == 200
    assert "@example.org" not in export.text and "token:" not in export.text
    assessments = json.loads(export.text)["assessments"]
    assert [a["recorded_by"] for a in assessments] == ["Editor", "editor"]

    # The full actor stays in the audit log, which only an admin reads.
    assert api.get("/api/v1/audit", headers=api.auth(Role.editor)).status_code == 403
    audit = api.ok(api.get("/api/v1/audit", params={"entity": "assessment"}, headers=api.auth(Role.admin)))
    assert {e["actor"] for e in audit["items"]} == {"user:editor@example.org", "token:test-editor"}


def test_import_reduces_an_actor_to_its_public_form(api: Api, other_api: Api) -> None:
    """An older export carrying `user:<e-mail>` is imported without showing the account."""
    _, rec_id = _record(api)
    api.assess(rec_id, "complied", "2021-06-01")
    doc = json.loads(api.get("/api/v1/export").text)
    doc["assessments"][0]["recorded_by"] = "user:someone@example.org"
    imported = other_api.post("/api/v1/import", doc, role=Role.admin)
    assert imported.status_code == 200, imported.text
    again = json.loads(other_api.get("/api/v1/export").text)
    assert again["assessments"][0]["recorded_by"] == "editor"
    history = other_api.ok(other_api.get(f"/api/v1/recommendations/{rec_id}/assessments"))
    assert history[0]["recorded_by"] == "editor"
