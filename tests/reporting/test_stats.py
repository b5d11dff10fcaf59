"""GET /api/v1/stats: the figures the dashboard draws."""

from tests.conftest import TODAY, Api


def test_stats_counts_and_as_of(api: Api) -> None:
    empty = api.ok(api.get("/api/v1/stats"))
    assert empty["decisions"] == 0 and empty["overdue"] == 0
    assert set(empty["recommendations_by_status"]) == {
        "pending",
        "complied",
        "partially_complied",
        "not_complied",
        "disputed",
        "withdrawn",
    }

    reg = api.regulator()
    other = api.regulator("Garante", "IT")
    org = api.organisation()
    d1 = api.decision(
        reg["id"], reference="A", issued_on="2021-02-03", penalty_amount="10.50", penalty_currency="EUR"
    )
    api.decision(
        other["id"], reference="B", issued_on="2022-03-09", penalty_amount="20", penalty_currency="EUR"
    )
    api.decision(
        other["id"], reference="C", issued_on="2022-05-01", penalty_amount="7", penalty_currency="GBP"
    )
    r1 = api.recommendation(d1["id"], org["id"], "Stop", due_on="2021-06-01")
    r2 = api.recommendation(d1["id"], org["id"], "Delete", due_on="2021-06-01")
    api.assess(r1["id"], "complied", "2021-03-01")
    api.assess(r2["id"], "not_complied", "2022-01-01")

    stats = api.ok(api.get("/api/v1/stats"))
    assert stats["decisions"] == 3 and stats["recommendations"] == 2
    assert stats["recommendations_by_status"]["complied"] == 1
    assert stats["recommendations_by_status"]["not_complied"] == 1
    assert stats["decisions_by_compliance"]["partially_complied"] == 1
    assert stats["decisions_by_compliance"]["none"] == 2
    assert stats["overdue"] == 1
    assert stats["decisions_by_year"] == [{"year": 2021, "count": 1}, {"year": 2022, "count": 2}]
    assert [(r["name"], r["count"]) for r in stats["decisions_by_regulator"]] == [
        ("Garante", 2),
        ("Office of the Privacy Commissioner of Canada", 1),
    ]
    assert stats["penalties"] == {"EUR": "30.50", "GBP": "7.00"}

    then = api.ok(api.get("/api/v1/stats", params={"as_of": "2021-04-01"}))
    assert then["decisions"] == 1
    assert then["recommendations_by_status"]["complied"] == 1
    assert then["recommendations_by_status"]["pending"] == 1
    assert then["decisions_by_compliance"]["partially_complied"] == 1
    assert then["overdue"] == 0
    assert then["penalties"] == {"EUR": "10.50"}
    assert api.ok(api.get("/api/v1/stats", params={"as_of": "2021-07-01"}))["overdue"] == 1
    assert TODAY.year >= 2022


def test_stats_bad_as_of_is_a_problem(api: Api) -> None:
    response = api.get("/api/v1/stats", params={"as_of": "yesterday"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_stats_follow_every_change_at_once(api: Api) -> None:
    """The figures are kept between changes, and every change is seen by the next read."""
    before = api.ok(api.get("/api/v1/stats"))
    assert api.ok(api.get("/api/v1/stats")) == before
    reg = api.regulator("Datatilsynet", "NO")
    org = api.organisation("Grindr")
    decision = api.decision(
        reg["id"],
        reference="DT-2021",
        issued_on="2021-12-13",
        kind="fine",
        penalty_amount="65000000",
        penalty_currency="NOK",
    )
    after = api.ok(api.get("/api/v1/stats"))
    assert after["decisions"] == before["decisions"] + 1
    assert after["penalties"]["NOK"] == "65000000.00"
    rec = api.recommendation(decision["id"], org["id"], due_on="2022-01-01")
    assert api.ok(api.get("/api/v1/stats"))["overdue"] == before["overdue"] + 1
    api.assess(rec["id"], "complied", "2022-02-01")
    final = api.ok(api.get("/api/v1/stats"))
    assert final["overdue"] == before["overdue"]
    assert (
        final["recommendations_by_status"]["complied"] == before["recommendations_by_status"]["complied"] + 1
    )


def test_kept_figures_are_not_taken_for_another_record_with_the_same_last_id(tmp_path: object) -> None:
    """A database emptied and filled again (a restore, a test suite's reset) gives audit ids
    again from the start: the figures kept for the old record's last change must not be read as
    the new one's (a test once read another test's penalties this way on PostgreSQL)."""
    import datetime as dt
    from pathlib import Path

    from app import migrate
    from app.db import Database
    from app.models import AuditEntry
    from app.services.shared import kept

    path = Path(str(tmp_path)) / "restored.sqlite3"
    url = f"sqlite:///{path}"
    for at, figures in ((dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "the old record"), (None, "the new record")):
        if at is None:  # the same file made again: ids from the start, the same last id
            path.unlink()
            at = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
        migrate.upgrade(url)
        database = Database(url)
        try:
            with database.transaction(actor="test") as session:
                session.add(
                    AuditEntry(id=7, at=at, actor="test", action="create", entity="case", entity_id=1)
                )
            with database.transaction(write=False) as session:
                assert kept.cached(session, "same-id", None, lambda figures=figures: figures) == figures
        finally:
            database.dispose()
