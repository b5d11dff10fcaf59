"""The migration that gave assessments their provenance decides it for the rows already there
from what the record says: the CSV importer's actor names its mapping."""

from sqlalchemy import text

from app import migrate
from app.db import make_engine

BEFORE = "5d2a8c4e1f70"
NOW = "2026-12-01 10:00:00"


def test_existing_rows_get_their_provenance_and_statuses_follow(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url, BEFORE)
    engine = make_engine(empty_database_url)
    stamps = {"version": 1, "created_at": NOW, "updated_at": NOW}
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO organisations (id, name, kind, version, created_at, updated_at) "
                    "VALUES (1, 'Acme', 'company', :version, :created_at, :updated_at)"
                ),
                stamps,
            )
            conn.execute(
                text(
                    "INSERT INTO decisions (id, reference, title, kind, issued_on, compliance, version, "
                    "created_at, updated_at) VALUES (1, 'D', 'D', 'order', '2020-01-01', "
                    "'partially_complied', :version, :created_at, :updated_at)"
                ),
                stamps,
            )
            # Three recommendations, each with an assessment written by one kind of writer.
            for rec_id, status in ((1, "complied"), (2, "not_complied"), (3, "complied")):
                conn.execute(
                    text(
                        "INSERT INTO recommendations (id, decision_id, organisation_id, text, kind, status, "
                        "last_assessed_on, version, created_at, updated_at) VALUES (:id, 1, 1, 'R', "
                        "'recommendation', :status, '2020-02-01', :version, :created_at, :updated_at)"
                    ),
                    stamps | {"id": rec_id, "status": status},
                )
            for a_id, rec_id, status, actor, retracted in (
                (1, 1, "complied", "import-csv:taic.toml", None),
                (2, 2, "not_complied", "import-csv:upr.toml", None),
                (3, 3, "complied", "token:ann", None),
                (4, 3, "not_complied", "token:ann", NOW),
            ):
                conn.execute(
                    text(
                        "INSERT INTO assessments (id, recommendation_id, status, assessed_on, asserted_by, "
                        "recorded_at, recorded_by, recorded_by_name, retracted_at, retracted_by, "
                        "retracted_by_name, retraction_reason) VALUES (:id, :rec, :status, '2020-02-01', "
                        "'organisation', :at, :actor, 'x', :retracted, :by, :by, :reason)"
                    ),
                    {
                        "id": a_id,
                        "rec": rec_id,
                        "status": status,
                        "at": NOW,
                        "actor": actor,
                        "retracted": retracted,
                        "by": "admin" if retracted else None,
                        "reason": "wrong" if retracted else None,
                    },
                )
        migrate.upgrade(empty_database_url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, origin, counted, review FROM assessments ORDER BY id")).all()
            recs = conn.execute(
                text(
                    "SELECT id, status, last_assessed_on, status_origin, status_reviewed, suggested_status "
                    "FROM recommendations ORDER BY id"
                )
            ).all()
            compliance = conn.execute(text("SELECT compliance FROM decisions")).scalar_one()
    finally:
        engine.dispose()
    assert [(i, o, bool(c), r) for i, o, c, r in rows] == [
        # The TAIC mapping classified from text, with no rule or precision kept: a suggestion.
        (1, "classified", False, "awaiting"),
        (2, "imported", True, "not_needed"),
        (3, "entered", True, "not_needed"),
        (4, "entered", False, "not_needed"),  # retracted
    ]
    assert [
        (i, s, str(d) if d else None, o, None if r is None else bool(r), g) for i, s, d, o, r, g in recs
    ] == [
        (1, "pending", None, None, None, "complied"),
        (2, "not_complied", "2020-02-01", "imported", True, None),
        (3, "complied", "2020-02-01", "entered", True, None),
    ]
    assert compliance == "partially_complied"
