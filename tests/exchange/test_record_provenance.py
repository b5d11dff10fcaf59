"""Where each imported record came from (issue 25, parts 2 and 3 of what was left): the
`provenance` decisions carry, on recommendation reads (the item, the list: one statement a
page still) and on assessment reads, said in words on their pages; and `last_assessed_on`
with its precision (`last_assessed_on_precision`), read "2013" on the pages."""

import hashlib

from app.db import Database
from tests.conftest import Api
from tests.exchange.test_real_data import load
from tests.exchange.test_upr_folding import SAMPLE

DATASET = "UN Universal Periodic Review recommendations, 2008-2014"


def test_imported_recommendations_and_assessments_say_where_they_came_from(db: Database, api: Api) -> None:
    load(db, "upr.toml", SAMPLE)
    sha = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    [listed] = api.ok(api.get("/api/v1/recommendations", params={"reference": "109.3"}))["items"]
    item = api.ok(api.get(f"/api/v1/recommendations/{listed['id']}"))
    assert listed == item
    provenance = item["provenance"]
    assert {k: v for k, v in provenance.items() if k != "imported_at"} == {
        "dataset": DATASET,
        "file": "upr_sample.csv",
        "file_sha256": sha,
        "row": 3,  # its first row (the second, Chile's, was folded into it)
        "mapping": "upr",
    }
    assert provenance["imported_at"]
    # Every page of the list is the item reads, provenance and all.
    every = api.ok(api.get("/api/v1/recommendations", params={"limit": 2, "sort": "-last_assessed_on"}))
    for r in every["items"]:
        assert r == api.ok(api.get(f"/api/v1/recommendations/{r['id']}"))
    [assessment] = api.ok(api.get(f"/api/v1/recommendations/{item['id']}/assessments"))
    assert assessment["provenance"] == provenance
    one = api.ok(api.get(f"/api/v1/assessments/{assessment['id']}"))
    assert one["provenance"] == provenance
    # On the pages, in words.
    page = api.get(f"/recommendations/{item['id']}").text
    assert "From the data set" in page and DATASET in page and "row 3 of" in page and sha[:8] in page
    decision = api.get(f"/decisions/{item['decision_id']}").text
    assert f"{DATASET}</cite></a>, row 3 of" in decision


def test_a_record_entered_by_a_person_has_no_provenance(api: Api) -> None:
    reg = api.regulator()
    org = api.organisation()
    decision = api.decision(reg["id"])
    rec = api.recommendation(decision["id"], org["id"])
    assert rec["provenance"] is None
    # Without an assessment, no day and no precision.
    assert (rec["last_assessed_on"], rec["last_assessed_on_precision"]) == (None, None)
    assessed = api.assess(rec["id"], "complied", "2021-05-04")
    assert assessed["provenance"] is None
    assert api.ok(api.get(f"/api/v1/assessments/{assessed['id']}"))["provenance"] is None
    assert "From the data set" not in api.get(f"/recommendations/{rec['id']}").text


def test_last_assessed_on_carries_its_precision(db: Database, api: Api) -> None:
    load(db, "upr.toml", SAMPLE)
    [rec] = api.ok(api.get("/api/v1/recommendations", params={"reference": "109.4"}))["items"]
    assert (rec["last_assessed_on"], rec["last_assessed_on_precision"]) == ("2013-01-01", "year")
    page = api.get(f"/recommendations/{rec['id']}").text
    assert '<dt>Last assessed</dt><dd><time datetime="2013">2013</time></dd>' in page
    assert "2013-01-01" not in page
    listed = api.get("/recommendations", params={"reference": "109.4"}).text
    assert '<time datetime="2013">2013</time>' in listed
    decision = api.get(f"/decisions/{rec['decision_id']}").text
    assert "last assessed 2013" in decision and "last assessed 2013-01-01" not in decision
    # A later assessment known to the day: its precision is the day; as of a day before it,
    # the year again.
    api.assess(rec["id"], "complied", "2016-03-04")
    now = api.ok(api.get(f"/api/v1/recommendations/{rec['id']}"))
    assert (now["last_assessed_on"], now["last_assessed_on_precision"]) == ("2016-03-04", "day")
    then = api.ok(api.get(f"/api/v1/recommendations/{rec['id']}", params={"as_of": "2015-01-01"}))
    assert (then["last_assessed_on"], then["last_assessed_on_precision"]) == ("2013-01-01", "year")
    listed_then = api.ok(
        api.get("/api/v1/recommendations", params={"reference": "109.4", "as_of": "2015-01-01"})
    )
    assert listed_then["items"] == [then]
