"""A merge keeps the record within its list caps: an organisation has at most 100 aliases (the
create schema's cap, which the import checks), so a merge that would give the kept one more is
refused, naming the cap, and changes nothing (103 aliases used to be left, and the export then
failed to import)."""

from typing import Any

from app.services.record import merges
from tests.conftest import Api, table_counts


def merge(api: Api, id: int, into: int) -> Any:
    headers = api.current(f"/api/v1/organisations/{id}")
    return api.post(f"/api/v1/organisations/{id}/merge", {"into": into}, headers=headers)


def test_a_merge_past_the_alias_cap_is_refused_naming_it(api: Api) -> None:
    assert merges.MAX_ALIASES == 100
    kept = api.organisation("Kept Ltd", aliases=[f"Kept {i}" for i in range(98)])
    dup = api.organisation("Dup Ltd", aliases=["Dup A", "Dup B", "kept 1"])  # `kept 1` is there already
    before = table_counts(api.db)
    refused = merge(api, dup["id"], kept["id"])
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert "at most 100" in problem["detail"] and "101 aliases" in problem["detail"]
    assert problem["errors"][0]["field"] == "into"
    assert table_counts(api.db) == before
    assert len(api.ok(api.get(f"/api/v1/organisations/{kept['id']}"))["aliases"]) == 98

    # Within the cap (one name fewer to take), the merge goes through.
    api.patch(f"/api/v1/organisations/{dup['id']}", {"aliases": ["Dup A", "kept 1"]})
    done = merge(api, dup["id"], kept["id"])
    assert done.status_code == 200, done.text
    assert len(done.json()["aliases"]) == 100
