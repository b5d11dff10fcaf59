"""The REST contract: CRUD, filters, paging, tokens and roles, ETags."""

import pytest

from app.vocab import Role
from tests.conftest import Api, table_counts


@pytest.fixture
def record(api: Api) -> dict:
    """Two regulators, two organisations, a case and three decisions with recommendations."""
    opc = api.regulator("Office of the Privacy Commissioner of Canada", "CA", short_name="OPC")
    bc = api.regulator("OIPC British Columbia", "CA-BC")
    it = api.regulator("Garante", "IT")
    clearview = api.organisation("Clearview AI, Inc.", aliases=["Clearview"], country="US")
    rcmp = api.organisation("Royal Canadian Mounted Police", kind="law_enforcement", country="CA")
    case = api.ok(api.post("/api/v1/cases", {"title": "Clearview", "tags": ["biometrics"]}), 201)
    ca = api.decision(
        opc["id"],
        reference="CA-2021",
        issued_on="2021-02-03",
        case_id=case["id"],
        regulators=[{"regulator_id": opc["id"], "role": "lead"}, {"regulator_id": bc["id"], "role": "joint"}],
        organisations=[
            {"organisation_id": clearview["id"], "role": "respondent"},
            {"organisation_id": rcmp["id"], "role": "client"},
        ],
        tags=["facial-recognition"],
        summary="Mass surveillance by scraping",
    )
    itd = api.decision(
        it["id"],
        reference="IT-2022",
        issued_on="2022-02-10",
        kind="fine",
        penalty_amount="20000000",
        penalty_currency="EUR",
        case_id=case["id"],
        organisations=[{"organisation_id": clearview["id"], "role": "respondent"}],
    )
    bcd = api.decision(
        bc["id"],
        reference="BC-2021",
        issued_on="2021-12-14",
        kind="order",
        organisations=[{"organisation_id": rcmp["id"], "role": "respondent"}],
    )
    recs = [
        api.recommendation(ca["id"], clearview["id"], text=t)
        for t in ("Stop offering", "Stop collecting", "Delete")
    ]
    api.assess(recs[0]["id"], "complied", "2020-07-31")
    api.assess(recs[1]["id"], "not_complied", "2021-02-03")
    api.assess(recs[2]["id"], "not_complied", "2021-02-03")
    it_rec = api.recommendation(
        itd["id"], clearview["id"], text="Delete Italian data", kind="order", due_on="2022-05-10"
    )
    bc_rec = api.recommendation(bcd["id"], rcmp["id"], text="Report back")
    return {
        "opc": opc,
        "bc": bc,
        "it": it,
        "clearview": clearview,
        "rcmp": rcmp,
        "case": case,
        "ca": ca,
        "itd": itd,
        "bcd": bcd,
        "recs": recs,
        "it_rec": it_rec,
        "bc_rec": bc_rec,
    }


PAY = "Pay the penalty of EUR 20,000,000.00."


def refs(page: dict) -> list[str]:
    return [d["reference"] for d in page["items"]]


def test_create_answers_201_with_location_and_etag(api: Api) -> None:
    response = api.post("/api/v1/regulators", {"name": "CNIL", "jurisdiction": "fr"})
    assert response.status_code == 201
    body = response.json()
    assert body["jurisdiction"] == "FR"
    assert response.headers["location"].endswith(f"/api/v1/regulators/{body['id']}")
    assert response.headers["etag"] == '"1"'
    assert api.ok(api.get(response.headers["location"]))["name"] == "CNIL"


def test_decision_written_whole_and_read_back(api: Api, record: dict) -> None:
    ca = api.ok(api.get(f"/api/v1/decisions/{record['ca']['id']}"))
    assert [(r["name"], r["role"]) for r in ca["regulators"]] == [
        ("Office of the Privacy Commissioner of Canada", "lead"),
        ("OIPC British Columbia", "joint"),
    ]
    assert ca["compliance"] == "partially_complied"
    assert ca["recommendation_counts"] == {"complied": 1, "not_complied": 2}
    body = {
        "findings": [
            {
                "text": "No consent",
                "provision": "s. 6.1",
                "organisation_id": record["clearview"]["id"],
                "outcome": "well_founded",
            }
        ],
        "sources": [{"url": "https://www.priv.gc.ca/report", "title": "Report"}],
        "provisions": ["PIPEDA"],
        "tags": ["a", "b"],
    }
    patched = api.ok(
        api.patch(f"/api/v1/decisions/{ca['id']}", body, headers=api.current(f"/api/v1/decisions/{ca['id']}"))
    )
    assert patched["findings"][0]["outcome"] == "well_founded"
    assert patched["sources"][0]["url"] == "https://www.priv.gc.ca/report"
    assert patched["provisions"] == ["PIPEDA"] and patched["tags"] == ["a", "b"]
    assert patched["title"] == ca["title"]  # untouched fields stay
    assert patched["regulators"] == ca["regulators"]
    # Re-sending the same parts replaces them (no duplicate-key clash).
    again = api.ok(
        api.patch(
            f"/api/v1/decisions/{ca['id']}",
            {"tags": ["b", "a"], "regulators": [{"regulator_id": record["bc"]["id"], "role": "lead"}]},
            headers=api.current(f"/api/v1/decisions/{ca['id']}"),
        )
    )
    assert again["tags"] == ["a", "b"] and [r["role"] for r in again["regulators"]] == ["lead"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["IT-2022", "BC-2021", "CA-2021"]),
        ({"regulator_id": "opc"}, ["CA-2021"]),
        ({"regulator_id": "bc"}, ["BC-2021", "CA-2021"]),
        ({"organisation_id": "rcmp"}, ["BC-2021", "CA-2021"]),
        ({"case_id": "case"}, ["IT-2022", "CA-2021"]),
        ({"jurisdiction": "CA"}, ["BC-2021", "CA-2021"]),
        ({"jurisdiction": "ca-bc"}, ["BC-2021", "CA-2021"]),
        ({"jurisdiction": "IT"}, ["IT-2022"]),
        ({"jurisdiction": "C"}, None),
        ({"kind": "fine"}, ["IT-2022"]),
        ({"tag": "facial-recognition"}, ["CA-2021"]),
        ({"issued_from": "2021-06-01"}, ["IT-2022", "BC-2021"]),
        ({"issued_to": "2021-06-01"}, ["CA-2021"]),
        ({"issued_from": "2021-01-01", "issued_to": "2021-12-31"}, ["BC-2021", "CA-2021"]),
        ({"compliance": "partially_complied"}, ["CA-2021"]),
        ({"compliance": "pending"}, ["IT-2022", "BC-2021"]),
        ({"compliance": "none"}, []),
        ({"q": "surveillance"}, ["CA-2021"]),
        ({"q": "it-2022"}, ["IT-2022"]),
        ({"as_of": "2021-06-01"}, ["CA-2021"]),
        ({"sort": "reference"}, ["BC-2021", "CA-2021", "IT-2022"]),
        ({"sort": "issued_on"}, ["CA-2021", "BC-2021", "IT-2022"]),
    ],
)
def test_decision_filters(api: Api, record: dict, params: dict, expected: list[str] | None) -> None:
    params = {k: (record[v]["id"] if k.endswith("_id") else v) for k, v in params.items()}
    response = api.get("/api/v1/decisions", params=params)
    if expected is None:
        assert response.status_code == 422
        return
    assert refs(api.ok(response)) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # The Italian fine's payment obligation, made with its penalty (app/services/record/payments.py).
        ({}, [PAY, "Stop offering", "Stop collecting", "Delete", "Delete Italian data", "Report back"]),
        ({"status": "not_complied"}, ["Stop collecting", "Delete"]),
        ({"status": "pending"}, [PAY, "Delete Italian data", "Report back"]),
        ({"overdue": "true"}, ["Delete Italian data"]),
        ({"organisation_id": "rcmp"}, ["Report back"]),
        ({"regulator_id": "bc"}, ["Stop offering", "Stop collecting", "Delete", "Report back"]),
        ({"decision_id": "itd"}, [PAY, "Delete Italian data"]),
        ({"q": "delete"}, ["Delete", "Delete Italian data"]),
        ({"as_of": "2021-12-31"}, ["Stop offering", "Stop collecting", "Delete", "Report back"]),
        ({"status": "pending", "as_of": "2021-02-02"}, []),
        ({"status": "complied", "as_of": "2021-02-03"}, ["Stop offering"]),
        ({"kind": "payment"}, [PAY]),
        ({"kind": "order"}, ["Delete Italian data"]),
        (
            {"sort": "-id"},
            ["Report back", "Delete Italian data", "Delete", "Stop collecting", "Stop offering", PAY],
        ),
    ],
)
def test_recommendation_filters(api: Api, record: dict, params: dict, expected: list[str]) -> None:
    params = {k: (record[v]["id"] if k.endswith("_id") else v) for k, v in params.items()}
    page = api.ok(api.get("/api/v1/recommendations", params=params))
    assert [r["text"] for r in page["items"]] == expected


def test_other_lists_filter(api: Api, record: dict) -> None:
    assert [
        r["name"] for r in api.ok(api.get("/api/v1/regulators", params={"jurisdiction": "CA"}))["items"]
    ] == ["OIPC British Columbia", "Office of the Privacy Commissioner of Canada"]
    assert [r["name"] for r in api.ok(api.get("/api/v1/regulators", params={"q": "opc"}))["items"]] == [
        "Office of the Privacy Commissioner of Canada"
    ]
    assert [
        o["name"] for o in api.ok(api.get("/api/v1/organisations", params={"q": "clearview"}))["items"]
    ] == ["Clearview AI, Inc."]
    assert [
        o["name"]
        for o in api.ok(api.get("/api/v1/organisations", params={"kind": "law_enforcement"}))["items"]
    ] == ["Royal Canadian Mounted Police"]
    assert [c["title"] for c in api.ok(api.get("/api/v1/cases", params={"tag": "biometrics"}))["items"]] == [
        "Clearview"
    ]


@pytest.mark.parametrize("sort", ["-issued_on", "issued_on", "reference", "-title", "id"])
def test_paging_visits_every_item_exactly_once(api: Api, sort: str) -> None:
    regulator = api.regulator()["id"]
    for i in range(23):
        # Many share a day, so the id breaks ties.
        api.decision(regulator, reference=f"R-{i:02d}", issued_on=f"2021-0{1 + i % 3}-01")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 5, "sort": sort} | ({"cursor": cursor} if cursor else {})
        page = api.ok(api.get("/api/v1/decisions", params=params))
        seen += [d["id"] for d in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 23
    assert pages == 5
    everything = api.ok(api.get("/api/v1/decisions", params={"limit": 500, "sort": sort}))["items"]
    assert seen == [d["id"] for d in everything]


def test_paging_recommendations_with_filter(api: Api, record: dict) -> None:
    ids, cursor = [], None
    while True:
        page = api.ok(
            api.get("/api/v1/recommendations", params={"limit": 2} | ({"cursor": cursor} if cursor else {}))
        )
        ids += [r["id"] for r in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    # Five, and the Italian fine's payment obligation.
    assert len(ids) == len(set(ids)) == 6


def test_limits(api: Api) -> None:
    assert api.get("/api/v1/decisions", params={"limit": 0}).status_code == 422
    assert api.get("/api/v1/decisions", params={"limit": 501}).status_code == 422
    assert api.get("/api/v1/decisions", params={"limit": 500}).status_code == 200


# -- Tokens and roles --------------------------------------------------------------------


WRITES = [
    ("post", "/api/v1/regulators", {"name": "X", "jurisdiction": "FR"}),
    ("post", "/api/v1/organisations", {"name": "X"}),
    ("post", "/api/v1/cases", {"title": "X"}),
    ("patch", "/api/v1/regulators/1", {"name": "Y"}),
    ("delete", "/api/v1/cases/1", None),
]


@pytest.mark.parametrize(("method", "url", "body"), WRITES)
def test_writes_need_an_editor_token(api: Api, method: str, url: str, body: dict | None) -> None:
    api.regulator("Seed", "FR")
    api.ok(api.post("/api/v1/cases", {"title": "seed"}), 201)
    before = table_counts(api.db)
    kwargs = {} if body is None else {"json": body}
    call = getattr(api.client, method)
    anonymous = call(url, **kwargs)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    bad = call(url, headers={"Authorization": "Bearer ft_not-a-real-token"}, **kwargs)
    assert bad.status_code == 401
    assert 'error="invalid_token"' in bad.headers["www-authenticate"]
    assert call(url, headers={"Authorization": "Basic abc"}, **kwargs).status_code == 401
    reader = call(url, headers=api.auth(Role.reader), **kwargs)
    assert reader.status_code == 403
    assert reader.json()["title"] == "Forbidden"
    assert table_counts(api.db) == before
    if method in ("patch", "delete"):
        # Without If-Match an editor's change is refused too (428), and nothing changes.
        missing = call(url, headers=api.auth(Role.editor), **kwargs)
        assert missing.status_code == 428
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["title"] == "Precondition required"
        assert table_counts(api.db) == before
        current = {"If-Match": api.get(url).headers["etag"]}
        matched = call(url, headers=api.auth(Role.editor) | current, **kwargs)
        assert matched.status_code == {"patch": 200, "delete": 204}[method]
        return
    assert call(url, headers=api.auth(Role.editor), **kwargs).status_code == 201


def test_reads_are_public_but_a_bad_token_is_refused(api: Api) -> None:
    assert api.get("/api/v1/decisions").status_code == 200
    assert api.get("/api/v1/decisions", headers=api.auth(Role.reader)).status_code == 200
    assert api.get("/api/v1/decisions", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_expired_token(api: Api) -> None:
    import datetime as dt

    from sqlalchemy import select

    from app.models import ApiToken
    from app.services.accounts import tokens

    with api.db.transaction() as session:
        _, secret = tokens.create(
            session, name="old", role=Role.editor, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        )
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.client.post("/api/v1/cases", json={"title": "x"}, headers=headers).status_code == 201
    with api.db.transaction() as session:
        session.scalar(select(ApiToken).where(ApiToken.name == "old")).expires_at = dt.datetime.now(
            dt.UTC
        ) - dt.timedelta(seconds=1)
    response = api.client.post("/api/v1/cases", json={"title": "y"}, headers=headers)
    assert response.status_code == 401


def test_token_create_command_prints_once_and_stores_hash(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from app import migrate
    from app.cli import cli
    from app.config import get_settings
    from app.db import Database
    from app.services.accounts.tokens import authenticate

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    migrate.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["token", "create", "--name", "ci", "--role", "editor"])
        assert result.exit_code == 0, result.output
        secret = result.stdout.strip().splitlines()[0]
        assert secret.startswith("ft_") and len(secret) > 40
        db = Database(url)
        with db.transaction() as session:
            token = authenticate(session, secret)
            assert token is not None and token.role == Role.editor
            assert secret not in (token.token_hash, token.prefix)
        db.dispose()
        again = CliRunner().invoke(cli, ["token", "create", "--name", "ci", "--role", "editor"])
        assert again.exit_code == 1
    finally:
        get_settings.cache_clear()


# -- ETags --------------------------------------------------------------------------------


def test_stale_if_match_is_refused_and_changes_nothing(api: Api, record: dict) -> None:
    url = f"/api/v1/decisions/{record['ca']['id']}"
    first = api.get(url)
    etag = first.headers["etag"]
    # Two editors read the same version; the first edit wins, the second is refused.
    assert api.patch(url, {"title": "First edit"}, headers={"If-Match": etag}).status_code == 200
    stale = api.patch(url, {"title": "Second edit"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert api.ok(api.get(url))["title"] == "First edit"
    assert api.delete(url, headers={"If-Match": etag}).status_code == 412
    current = api.get(url).headers["etag"]
    assert current != etag
    assert api.patch(url, {"title": "Third"}, headers={"If-Match": current}).status_code == 200
    assert api.patch(url, {"title": "Any"}, headers={"If-Match": "*"}).status_code == 200
    assert api.patch(url, {"title": "Bad"}, headers={"If-Match": "garbage"}).status_code == 422


def test_patch_and_delete_without_if_match_are_refused_with_428(api: Api, record: dict) -> None:
    counts = table_counts(api.db)
    for url in (
        f"/api/v1/decisions/{record['ca']['id']}",
        f"/api/v1/recommendations/{record['bc_rec']['id']}",
        f"/api/v1/regulators/{record['opc']['id']}",
    ):
        before = api.ok(api.get(url))
        editor = api.auth(Role.editor)
        for response in (
            api.client.patch(url, json={}, headers=editor),
            api.client.delete(url, headers=editor),
        ):
            assert response.status_code == 428, url
            assert response.headers["content-type"] == "application/problem+json"
            body = response.json()
            assert body["title"] == "Precondition required"
            assert body["errors"] == [
                {"field": "header.if-match", "message": "is required", "type": "missing"}
            ]
        assert api.ok(api.get(url)) == before
    assert table_counts(api.db) == counts


def test_assessment_changes_recommendation_etag(api: Api, record: dict) -> None:
    url = f"/api/v1/recommendations/{record['it_rec']['id']}"
    etag = api.get(url).headers["etag"]
    api.assess(record["it_rec"]["id"], "complied", "2022-06-01")
    assert api.patch(url, {"text": "Edited"}, headers={"If-Match": etag}).status_code == 412


def test_delete_rules(api: Api, record: dict) -> None:
    # Still referenced: refused with 409, nothing removed.
    for url in (
        f"/api/v1/regulators/{record['opc']['id']}",
        f"/api/v1/organisations/{record['clearview']['id']}",
        f"/api/v1/cases/{record['case']['id']}",
        f"/api/v1/decisions/{record['ca']['id']}",
    ):
        response = api.delete(url, headers=api.current(url))
        assert response.status_code == 409, url
        assert "still referenced" in response.json()["detail"]
    rec_url = f"/api/v1/recommendations/{record['bc_rec']['id']}"
    assert api.delete(rec_url, headers=api.current(rec_url)).status_code == 204
    assert api.get(rec_url).status_code == 404
    bcd_url = f"/api/v1/decisions/{record['bcd']['id']}"
    assert api.delete(bcd_url, headers=api.current(bcd_url)).status_code == 204
    assert api.get(bcd_url).status_code == 404
    assert api.delete(bcd_url, headers={"If-Match": '"1"'}).status_code == 404


def test_assessments_are_append_only(api: Api, record: dict) -> None:
    rec = record["recs"][1]["id"]
    url = f"/api/v1/recommendations/{rec}/assessments"
    assert api.client.put(url, json={}).status_code == 405
    assert api.client.delete(url).status_code == 405
    api.assess(rec, "complied", "2021-05-01", note="Correction: deleted after all")
    history = api.ok(api.get(url))
    assert [a["status"] for a in history] == ["not_complied", "complied"]


def test_audit_log_written_with_each_change(api: Api, record: dict) -> None:
    from sqlalchemy import select

    from app.models import AuditEntry

    url = f"/api/v1/regulators/{record['it']['id']}"
    api.ok(api.patch(url, {"short_name": "GPDP"}, headers=api.current(url)))
    with api.db.transaction(write=False) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert (entry.actor, entry.action, entry.entity, entry.entity_id) == (
            "token:test-editor",
            "update",
            "regulator",
            record["it"]["id"],
        )
        assert entry.before["short_name"] is None and entry.after["short_name"] == "GPDP"
        assert entry.at.tzinfo is not None


def test_each_edit_moves_the_version_by_one(api: Api, record: dict) -> None:
    url = f"/api/v1/decisions/{record['ca']['id']}"
    version = api.ok(api.get(url))["version"]
    patched = api.patch(url, {"title": "New title", "tags": ["x"]}, headers={"If-Match": f'"{version}"'})
    assert api.ok(patched)["version"] == version + 1
    assert patched.headers["etag"] == f'"{version + 1}"'
    only_parts = api.ok(api.patch(url, {"provisions": ["PIPEDA s. 7"]}, headers=api.current(url)))
    assert only_parts["version"] == version + 2


def test_replacing_aliases_or_tags_moves_the_version_by_one(api: Api, record: dict) -> None:
    org = f"/api/v1/organisations/{record['clearview']['id']}"
    version = api.ok(api.get(org))["version"]
    assert (
        api.ok(api.patch(org, {"aliases": ["Clearview", "CV"]}, headers=api.current(org)))["version"]
        == version + 1
    )
    case = f"/api/v1/cases/{record['case']['id']}"
    version = api.ok(api.get(case))["version"]
    assert (
        api.ok(
            api.patch(case, {"tags": ["biometrics", "scraping"], "title": "T"}, headers=api.current(case))
        )["version"]
        == version + 1
    )


def test_patch_and_delete_need_if_match(api: Api, record: dict) -> None:
    """Without If-Match a change could silently overwrite another: 428, and nothing changes."""
    url = f"/api/v1/decisions/{record['ca']['id']}"
    before = api.get(url).json()
    for method, kwargs in (("patch", {"json": {"title": "Lost update"}}), ("delete", {})):
        response = getattr(api.client, method)(url, headers=api.auth(Role.admin), **kwargs)
        assert response.status_code == 428, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["title"] == "Precondition required"
        assert body["errors"][0]["field"] == "header.if-match"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert api.get(url).json() == before
    described = api.get("/openapi.json").json()["paths"]["/api/v1/decisions/{decision_id}"]["patch"]
    header = next(p for p in described["parameters"] if p["name"] == "if-match")
    assert "428" in header["description"]


def test_only_an_admin_deletes_a_recommendation_with_assessments(api: Api, record: dict) -> None:
    rec = record["recs"][1]
    url = f"/api/v1/recommendations/{rec['id']}"
    assert api.get(f"{url}/assessments").json(), "the fixture's recommendation has assessments"
    refused = api.delete(url, role=Role.editor)
    assert refused.status_code == 403
    assert "only an admin" in refused.json()["detail"]
    assert api.get(url).status_code == 200
    assert api.delete(url, role=Role.admin).status_code == 204
    assert api.get(url).status_code == 404
    # One without history: an editor may delete it.
    fresh = api.ok(
        api.post(
            "/api/v1/recommendations",
            {"decision_id": record["ca"]["id"], "organisation_id": record["clearview"]["id"], "text": "New"},
        ),
        201,
    )
    assert api.delete(f"/api/v1/recommendations/{fresh['id']}", role=Role.editor).status_code == 204
