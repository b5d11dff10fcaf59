"""The TAIC mapping on the real file (../shared/data/TAIC-report-summary; skipped where it is
absent, a failure in CI): every row imported, a second run creating nothing, the reference
filter, and the status rules measured against replies labelled by reading them."""

from collections import Counter

from sqlalchemy import func, select

from app.db import Database
from app.models import Assessment, Decision, Organisation, OrganisationAlias, Recommendation
from app.services.exchange.csv import importer as csv_import
from app.services.exchange.csv import mapping
from tests.conftest import Api
from tests.exchange.test_real_data import MAPPINGS, data_file, load

FILE = "TAIC-report-summary/cleaned_TAIC_recommendations_2024_11_19.csv"

# Replies labelled by reading each one (row numbers as in a spreadsheet, the header row 1),
# under the definitions in mappings/taic.toml; None: no reply, so no assessment. LABELS, 79
# rows drawn at random (seed 11), were read first and the rules written beside them; HOLDOUT,
# 45 more (seed 2024, none of the first), was labelled before the rules were run on it: they
# agreed on 34 of 45 (75.6%) then, on 42 of 45 after the rules were mended.
LABELS: dict[int, str | None] = {
    928: "pending",
    1148: None,
    1756: None,
    1601: "partially_complied",
    955: "partially_complied",
    927: "pending",
    1042: "partially_complied",
    1753: "not_complied",
    1204: "pending",
    390: "pending",
    380: "pending",
    1648: "not_complied",
    1050: "pending",
    976: None,
    1291: "pending",
    1259: "complied",
    1626: "partially_complied",
    383: "pending",
    194: "pending",
    916: "pending",
    623: "partially_complied",
    292: "pending",
    187: "pending",
    1105: "pending",
    1660: None,
    1422: "partially_complied",
    1301: "disputed",
    87: "pending",
    1221: "partially_complied",
    813: "pending",
    929: "pending",
    1341: "pending",
    1515: "pending",
    1262: "pending",
    1333: "pending",
    324: "pending",
    1278: "complied",
    32: "partially_complied",
    1705: None,
    1084: None,
    131: "pending",
    123: "pending",
    75: "pending",
    391: "not_complied",
    497: "pending",
    1230: "pending",
    63: "partially_complied",
    1595: None,
    952: "pending",
    670: None,
    904: "pending",
    1212: None,
    1727: "pending",
    402: "pending",
    1065: "complied",
    480: "not_complied",
    1313: "partially_complied",
    604: "pending",
    1025: "partially_complied",
    11: "disputed",
    1358: "complied",
    176: None,
    938: "partially_complied",
    1343: "not_complied",
    571: "disputed",
    835: None,
    1130: "pending",
    1722: "pending",
    172: "pending",
    1451: "complied",
    522: "partially_complied",
    647: "pending",
    1554: None,
    472: "pending",
    1052: "pending",
    593: "pending",
    62: "pending",
    145: "pending",
    1155: "pending",
}
HOLDOUT: dict[int, str | None] = {
    1005: "not_complied",
    393: "pending",
    1562: None,
    1241: "partially_complied",
    653: "pending",
    432: "pending",
    1551: None,
    873: "pending",
    1624: None,
    1537: "pending",
    1628: None,
    569: "pending",
    1142: "partially_complied",
    528: "pending",
    1369: "complied",
    1744: "complied",
    1577: None,
    1068: "pending",
    757: "disputed",
    885: "partially_complied",
    1129: "disputed",
    1561: None,
    1323: "complied",
    468: "complied",
    664: "pending",
    1166: None,
    1510: "pending",
    708: "pending",
    1113: "pending",
    163: "pending",
    1568: None,
    1662: None,
    444: "pending",
    1480: "pending",
    1615: None,
    1002: "pending",
    1522: None,
    1403: "complied",
    319: "pending",
    1139: "pending",
    457: "partially_complied",
    877: "disputed",
    128: "pending",
    1654: None,
    747: "not_complied",
}

# Clear cases, one or more per rule: each must come out exactly so (a rule that misfires, or a
# reordering that lets one rule take another's replies, fails here by name).
ANCHORS = {
    1756: None,  # "No reply recorded."
    1148: None,  # "[see respondent's other comment]"
    1332: "withdrawn",  # "considered to have been superseded"
    1301: "disputed",  # "does not accept that its auditors ... were in any way germane"
    1129: "disputed",  # "The LTSA is the lead agency."
    1005: "not_complied",  # "This is not accepted."
    747: "not_complied",  # "Tranz Rail do not accept this recommendation."
    1422: "partially_complied",  # "in the process of implementing it"
    32: "partially_complied",  # "accepted by KiwiRail and it is being implemented"
    1278: "complied",  # "accepted and has already been implemented"
    1323: "complied",  # "Implementation was completed last week"
    432: "pending",  # "accept and will implement"
    1139: "pending",  # "cannot agree to the recommendation without further research"
    3: "complied",  # the latest of three dated replies: "Accepted and implemented." (15 Oct 2024)
    4: "pending",  # AOR implemented it (14 May), Transdev's later reply (1 Oct) is "Under Consideration"
    489: "pending",  # 063/05: "intends to implement ... has already been looking for possible solutions"
}


def classified(rows: set[int]) -> dict[int, str | None]:
    spec = mapping.load(MAPPINGS / "taic.toml")
    status = spec.sections["assessment"]["status"]
    out = {}
    with data_file(FILE).open("rb") as fp:
        for number, row in csv_import.read_rows(spec, fp):
            if number in rows:
                spec.derive(row)
                out[number] = status.text(row, "assessment.status")
    return out


def test_status_rules_agree_with_the_labelled_replies() -> None:
    labelled = LABELS | HOLDOUT
    assert len(labelled) == 124 and not set(LABELS) & set(HOLDOUT)
    got = classified(set(labelled) | set(ANCHORS))
    assert {n: got[n] for n in ANCHORS} == ANCHORS
    agree = sum(got[n] == label for n, label in labelled.items())
    # 115 of 124 (92.7%) when written; a rule that misfires on a common phrasing drops it.
    assert agree >= 112, [(n, label, got[n]) for n, label in labelled.items() if got[n] != label]


def test_taic_import_creates_every_row_then_nothing(db: Database, api: Api) -> None:
    path = data_file(FILE)
    first = load(db, "taic.toml", path)
    assert (first.rows, first.created, first.rejected_count) == (1770, 1770, 0), first.rejected[:5]
    # 5 rows name two parties each (005/24, 008/24, 016/24, 043/90, 044/90): 1,775 recommendations.
    assert first.split == 5
    assert first.counts["decisions"] == {"created": 550, "matched": 0}
    assert first.counts["recommendations"] == {"created": 1775, "matched": 0}
    assert first.counts["regulators"] == {"created": 1, "matched": 0}
    assessments = first.counts["assessments"]["created"]
    # Each party's own reply: 005/24, 008/24 and 016/24 give one more each; 043/90 and 044/90
    # have none ("No reply recorded").
    assert assessments == sum(first.statuses.values()) == 1553
    assert first.statuses["pending"] > first.statuses["complied"] > first.statuses["partially_complied"] > 0
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 550
        assert session.scalar(select(func.count()).select_from(Recommendation)) == 1775
        assert session.scalar(select(func.count()).select_from(Assessment)) == 1553
        statuses = Counter(session.scalars(select(Recommendation.status)))
        # Pending: the counted pending readings, the recommendations with only a suggestion
        # (a reading below the mapping's accept_at makes no status), and the 220 rows without
        # a reply (222 now: both parties of 043/90 and of 044/90).
        suggestions = sum(first.suggested.values())
        assert 0 < suggestions < assessments
        assert (
            statuses["pending"] == first.statuses["pending"] - first.suggested["pending"] + suggestions + 222
        )
        assert sum(statuses.values()) == 1775
        decision = session.scalar(
            select(Decision).where(Decision.reference == "TAIC aviation inquiry 2004-006")
        )
        assert decision is not None
        assert decision.title == (
            "Aviation inquiry 006 of 2004: safety recommendations of the Transport Accident "
            "Investigation Commission"
        )
        # Dated by its earliest row (its rows were made on 13 May, 26 May and 17 June 2005).
        assert decision.issued_on.isoformat() == "2005-05-13"
        caa = session.scalar(
            select(Organisation).where(Organisation.name == "Civil Aviation Authority of New Zealand")
        )
        assert caa is not None and caa.kind.value == "public_body" and caa.country == "NZ"
        aliases = set(
            session.scalars(
                select(OrganisationAlias.alias).where(OrganisationAlias.organisation_id == caa.id)
            )
        )
        assert {"CAA", "Civil Aviation Authority"} <= aliases
        # 244 of its own, and 016/24 made to the Secretary for Transport and the Director of Civil Aviation.
        assert session.scalar(select(func.count()).where(Recommendation.organisation_id == caa.id)) == 245
        notes = list(session.scalars(select(Assessment.note)))
        assert not [n for n in notes if n and ("_x000D_" in n or "\u00e2\u20ac" in n)]

    found = api.ok(api.get("/api/v1/recommendations", params={"reference": "063/05"}))["items"]
    assert len(found) == 1 and found[0]["status"] == "pending"
    history = api.ok(api.get(f"/api/v1/recommendations/{found[0]['id']}/assessments"))
    assert [(a["status"], a["asserted_by"], a["assessed_on"]) for a in history] == [
        ("pending", "organisation", "2005-05-13")
    ]
    assert history[0]["note"].startswith("Auckland International Airport Limited intends to implement")
    # 012/21: one recommendation made to two parties (two rows), one for each under its number.
    twice = api.ok(api.get("/api/v1/recommendations", params={"reference": "012/21"}))["items"]
    assert len(twice) == 2 and len({r["decision_id"] for r in twice}) == 1
    assert len({r["organisation_id"] for r in twice}) == 2
    # 005/24, made to "Tranzdev Wellington and Auckland One Rail" (one row): one recommendation
    # for each, each with its own replies. Auckland One Rail's latest dated reply governs its
    # own, dated by its heading: "Accepted and implemented.", read by the `done` rule, whose
    # precision is below accept_at: a suggestion. Transdev Wellington's is "Under Consideration".
    both = api.ok(api.get("/api/v1/recommendations", params={"reference": "005/24"}))["items"]
    names = {
        o["id"]: o["name"]
        for o in (api.ok(api.get(f"/api/v1/organisations/{r['organisation_id']}")) for r in both)
    }
    by_party = {names[r["organisation_id"]]: r for r in both}
    assert set(by_party) == {"Transdev Wellington", "Auckland One Rail"}
    latest = by_party["Auckland One Rail"]
    assert (latest["status"], latest["suggested_status"], latest["last_assessed_on"]) == (
        "pending",
        "complied",
        None,
    )
    transdev_id = by_party["Transdev Wellington"]["id"]
    [transdev] = api.ok(api.get(f"/api/v1/recommendations/{transdev_id}/assessments"))
    assert transdev["assessed_on"] == "2024-10-01" and "Under Consideration" in transdev["note"]
    assert "Auckland One Rail" not in transdev["note"] and "Accepted and implemented" not in transdev["note"]
    [reading] = api.ok(api.get(f"/api/v1/recommendations/{latest['id']}/assessments"))
    assert "Transdev" not in reading["note"]
    assert (reading["assessed_on"], reading["rule"], reading["counted"]) == ("2024-10-15", "taic:done", False)
    assert reading["evidence"]["text"] == "Accepted and implemented."
    assert (
        reading["note"][reading["evidence"]["start"] : reading["evidence"]["end"]]
        == "Accepted and implemented."
    )

    second = load(db, "taic.toml", path)
    assert (second.created, second.matched, second.rejected_count) == (0, 1770, 0)
    assert second.counts["decisions"] == {"created": 0, "matched": 550}
    assert second.counts["recommendations"] == {"created": 0, "matched": 1775}
    assert second.counts["organisations"]["created"] == 0
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Recommendation)) == 1775
