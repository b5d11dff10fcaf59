"""The API's contract as a program reads it (app/api/contract.py): operation ids, problems on
every status, the headers, and `fields=` selection."""

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI

from app.access import public
from app.api import contract
from app.api.idempotency import ApiRoute
from app.db import Database
from app.main import create_app
from tests.conftest import Api

APP = create_app(Database("sqlite:///:memory:"))
SPEC = APP.openapi()
OPERATIONS = [
    (method.upper(), path, operation)
    for path, operations in SPEC["paths"].items()
    for method, operation in operations.items()
]
COLLECTIONS = ("regulator", "organisation", "case", "decision", "recommendation")
EXPECTED_IDS = {
    # One scheme for every collection: list_Xs, create_X, get_X, update_X, delete_X.
    *(f"{verb}_{noun}" for noun in COLLECTIONS for verb in ("create", "get", "update", "delete")),
    *(f"list_{noun}s" for noun in COLLECTIONS),
    "list_assessments",
    "create_assessment",
    "search",
    "get_stats",
    "export_record",
    "import_record",
    "export_decisions_csv",
    "export_recommendations_csv",
    "list_tokens",
    "create_token",
    "get_token",
    "revoke_token",
    "list_audit",
    "get_decisions_feed",
    "get_assessments_feed",
}


def test_operation_ids_are_verbs_on_nouns_unique_and_tagged() -> None:
    assert contract.scheme_errors(APP) == []
    ids = [op["operationId"] for _, _, op in OPERATIONS]
    assert len(ids) == len(set(ids))
    # Routes added later must fit the scheme too (scheme_errors above); these must stay.
    assert set(ids) >= EXPECTED_IDS, sorted(EXPECTED_IDS - set(ids))
    declared = {t["name"] for t in SPEC["tags"]}
    for method, path, op in OPERATIONS:
        assert len(op["tags"]) == 1 and op["tags"][0] in declared, (method, path)


def test_a_route_outside_the_scheme_is_named_loudly() -> None:
    router = APIRouter(prefix="/api/v1/things", tags=["decisions"], route_class=ApiRoute)

    @router.get("")
    @public
    def things_overview() -> dict[str, str]:
        return {}

    @router.patch("/{thing_id}")
    def create_thing(thing_id: int) -> dict[str, str]:
        return {}

    app = FastAPI(generate_unique_id_function=contract.operation_id)
    app.include_router(router)
    errors = contract.scheme_errors(app)
    assert len(errors) == 2
    assert errors[0].startswith("GET /api/v1/things: operation id 'things_overview' is not a verb on a noun")
    assert errors[1].startswith("PATCH /api/v1/things/{thing_id}: operation id 'create_thing'")
    # A new tag needs its description.
    tagged = FastAPI(generate_unique_id_function=contract.operation_id)

    @tagged.get("/api/v1/things/{thing_id}", tags=["things"])
    @public
    def get_thing(thing_id: int) -> dict[str, str]:
        return {}

    assert contract.scheme_errors(tagged) == [
        "GET /api/v1/things/{thing_id}: its tag 'things' needs a description in TAGS"
    ]


def test_a_route_answering_head_too_has_one_operation() -> None:
    router = APIRouter(prefix="/api/v1/things", tags=["decisions"], route_class=ApiRoute)

    @router.api_route("", methods=["GET", "HEAD"])
    @public
    def list_things() -> dict[str, str]:
        return {}

    app = FastAPI(generate_unique_id_function=contract.operation_id)
    app.include_router(router)
    assert contract.scheme_errors(app) == []
    paths = contract.openapi(app)["paths"]
    assert list(paths["/api/v1/things"]) == ["get"]
    assert paths["/api/v1/things"]["get"]["operationId"] == "list_things"


def _problem(op: dict[str, Any], status: int) -> dict[str, Any]:
    response = op["responses"][str(status)]
    content = response["content"]
    assert list(content) == ["application/problem+json"]
    assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    example = content["application/problem+json"]["example"]
    assert example["status"] == status and example["detail"]
    return response


ITEM_PATHS = tuple(f"/api/v1/{noun}s/" for noun in COLLECTIONS)


def test_every_error_answer_is_a_problem_with_its_statuses_derived() -> None:
    problem = SPEC["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(problem["properties"])
    assert "HTTPValidationError" not in SPEC["components"]["schemas"]
    for method, path, op in OPERATIONS:
        errors = {int(s) for s in op["responses"] if s[0] in "45"}
        for status in errors:
            _problem(op, status)
        assert {401, 503} <= errors, (method, path)
        assert "Retry-After" in op["responses"]["503"]["headers"]
        if "{" in path:
            assert 404 in errors, (method, path)
        if method in ("POST", "PATCH", "PUT", "DELETE"):
            assert 409 in errors, (method, path)
        if method in ("POST", "PATCH") and "requestBody" in op:
            assert {400, 413, 422} <= errors, (method, path)
        headers = {p["name"].lower(): p for p in op.get("parameters", []) if p["in"] == "header"}
        if method in ("PATCH", "DELETE") and path.startswith(ITEM_PATHS):
            assert {412, 428} <= errors, (method, path)
            assert headers["if-match"]["required"] is True
            assert headers["if-match"]["schema"]["pattern"] == contract.IF_MATCH_PATTERN
    ops = {op["operationId"]: op for _, _, op in OPERATIONS}
    assert "403" not in ops["get_decision"]["responses"]
    assert "403" in ops["create_decision"]["responses"]
    assert "403" in ops["list_audit"]["responses"]


def test_headers_are_documented_with_their_formats() -> None:
    ops = {op["operationId"]: op for _, _, op in OPERATIONS}
    assert ops["get_decision"]["responses"]["200"]["headers"]["ETag"]["schema"]["pattern"] == '^"[0-9]+"$'
    assert "ETag" in ops["update_decision"]["responses"]["200"]["headers"]
    created = ops["create_decision"]["responses"]["201"]["headers"]
    assert {"Location", "ETag", "Idempotent-Replayed"} <= set(created)
    assert "ETag" not in ops["list_decisions"]["responses"]["200"].get("headers", {})
    key = next(p for p in ops["create_decision"]["parameters"] if p["name"] == "Idempotency-Key")
    assert key["in"] == "header" and key["required"] is False
    cursor = next(p for p in ops["list_decisions"]["parameters"] if p["name"] == "cursor")
    assert "opaque, URL-safe" in cursor["description"]


def test_fields_are_documented() -> None:
    ops = {op["operationId"]: op for _, _, op in OPERATIONS}
    fields = next(p for p in ops["list_decisions"]["parameters"] if p["name"] == "fields")
    pattern = next(s for s in fields["schema"]["anyOf"] if s.get("type") == "string")["pattern"]
    assert pattern.startswith("^(id|reference|title|")
    assert "required" not in SPEC["components"]["schemas"]["DecisionReadFields"]
    assert ops["get_decision"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "anyOf": [
            {"$ref": "#/components/schemas/DecisionRead"},
            {"$ref": "#/components/schemas/DecisionReadFields"},
        ]
    }


@pytest.fixture
def decisions(api: Api) -> list[dict[str, Any]]:
    reg = api.regulator()
    return [api.decision(reg["id"], reference=f"R-{n}", issued_on=f"2021-02-0{n + 1}") for n in range(3)]


def test_fields_selects_what_reads_and_lists_answer(api: Api, decisions: list[dict[str, Any]]) -> None:
    page = api.ok(api.get("/api/v1/decisions", params={"fields": "id,reference,compliance", "limit": 2}))
    assert page["items"] == [
        {"id": decisions[2]["id"], "reference": "R-2", "compliance": "none"},
        {"id": decisions[1]["id"], "reference": "R-1", "compliance": "none"},
    ]
    assert page["next_cursor"]
    rest = api.ok(api.get("/api/v1/decisions", params={"fields": "reference", "cursor": page["next_cursor"]}))
    assert rest == {"items": [{"reference": "R-0"}], "next_cursor": None}
    url = f"/api/v1/decisions/{decisions[0]['id']}"
    one = api.get(url, params={"fields": "title,version"})
    assert api.ok(one) == {"title": "Decision R-0", "version": 1}
    assert one.headers["etag"] == '"1"'
    assert api.ok(api.get(url)) == api.ok(api.get(url, params={"fields": ",".join(decisions[0])}))


def test_an_unknown_field_is_named(api: Api, decisions: list[dict[str, Any]]) -> None:
    response = api.get("/api/v1/decisions", params={"fields": "id,colour,size"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert "'colour', 'size'" in body["detail"]
    assert [e["message"] for e in body["errors"]] == ["unknown field 'colour'", "unknown field 'size'"]
    assert {e["field"] for e in body["errors"]} == {"query.fields"}
