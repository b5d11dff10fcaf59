"""Deleting from the pages: a confirmation page carrying the version the record's page showed,
CSRF, and the API's refusals as readable messages."""

import re

from app.vocab import Role
from tests.conftest import Api
from tests.web_helpers import csrf_of, fast_passwords  # noqa: F401 (fast_passwords: a fixture)

VERSION = re.compile(r'name="version" value="(\d+)"')


def _confirm(api: Api, page: str, collection: str, record_id: int) -> tuple[str, str, str]:
    """Follow the record page's Delete link: (its address, the form's token, the version carried)."""
    html = api.get(page).text
    link = re.search(rf'href="(/{collection}/{record_id}/delete\?version=\d+)"', html)
    assert link, "no Delete link on the page"
    form = api.get(link.group(1).replace("&amp;", "&"))
    assert form.status_code == 200
    version = VERSION.search(form.text)
    assert version
    return link.group(1), csrf_of(form.text), version.group(1)


def test_delete_an_organisation_with_confirmation(api: Api) -> None:
    org = api.organisation("Acme Ltd")
    api.sign_in(Role.editor)
    link, token, version = _confirm(api, f"/organisations/{org['id']}", "organisations", org["id"])
    assert version == str(org["version"])
    url = f"/organisations/{org['id']}/delete"
    assert "Delete organisation <q>Acme Ltd</q>?" in api.get(link).text
    # No form token: refused, nothing deleted.
    refused = api.client.post(url, data={"version": version}, follow_redirects=False)
    assert refused.status_code == 403
    assert api.get(f"/api/v1/organisations/{org['id']}").status_code == 200
    done = api.client.post(url, data={"csrf_token": token, "version": version}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/organisations"
    assert api.get(f"/api/v1/organisations/{org['id']}").status_code == 404
    assert "Deleted." in api.get("/organisations").text


def test_delete_refused_when_stale_or_referenced(api: Api) -> None:
    reg = api.regulator()
    decision = api.decision(reg["id"])
    api.sign_in(Role.editor)
    _, token, version = _confirm(api, f"/regulators/{reg['id']}", "regulators", reg["id"])
    url = f"/regulators/{reg['id']}/delete"
    # Referenced by a decision: the API's 409, as words.
    refused = api.client.post(url, data={"csrf_token": token, "version": version}, follow_redirects=False)
    assert refused.status_code == 409
    assert (
        "It was not deleted: Regulator" in refused.text and "still referenced by 1 decisions" in refused.text
    )
    assert "Delete it</button>" not in refused.text
    # Changed by someone else since the page was seen: refused (the If-Match rule).
    api.ok(api.patch(f"/api/v1/decisions/{decision['id']}", {"title": "Renamed"}))
    dlink, dtoken, dversion = _confirm(api, f"/decisions/{decision['id']}", "decisions", decision["id"])
    api.ok(api.patch(f"/api/v1/decisions/{decision['id']}", {"title": "Renamed again"}))
    stale_page = api.get(dlink.replace("&amp;", "&"))
    assert "changed after you opened its page" in stale_page.text
    stale = api.client.post(
        f"/decisions/{decision['id']}/delete",
        data={"csrf_token": dtoken, "version": dversion},
        follow_redirects=False,
    )
    assert stale.status_code == 409 and "so it was not deleted" in stale.text
    assert api.get(f"/api/v1/decisions/{decision['id']}").status_code == 200
    fresh = VERSION.search(stale.text)
    assert fresh and int(fresh.group(1)) == int(dversion) + 1
    done = api.client.post(
        f"/decisions/{decision['id']}/delete",
        data={"csrf_token": dtoken, "version": fresh.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/decisions"


def test_a_recommendation_with_assessments_needs_an_admin(api: Api) -> None:
    reg = api.regulator()
    org = api.organisation()
    decision = api.decision(reg["id"])
    rec = api.recommendation(decision["id"], org["id"])
    api.assess(rec["id"], "complied", "2021-06-01")
    signed_out = api.get(f"/recommendations/{rec['id']}/delete", follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/signin")
    api.sign_in(Role.editor)
    _, token, version = _confirm(api, f"/recommendations/{rec['id']}", "recommendations", rec["id"])
    url = f"/recommendations/{rec['id']}/delete"
    refused = api.client.post(url, data={"csrf_token": token, "version": version}, follow_redirects=False)
    assert refused.status_code == 403
    assert "only an admin may delete it with its history" in refused.text
    api.client.cookies.clear()
    api.sign_in(Role.admin)
    _, token, version = _confirm(api, f"/recommendations/{rec['id']}", "recommendations", rec["id"])
    done = api.client.post(url, data={"csrf_token": token, "version": version}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/decisions/{decision['id']}"
    assert api.get(f"/api/v1/recommendations/{rec['id']}").status_code == 404
