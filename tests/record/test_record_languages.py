"""Records in their own language (issue 28, part 2): a decision's `language` and the
translations of its title, summary and recommendations' text, read and written through the
API (a translation into the record's own language, or an unknown language, is a 422 naming the
field), kept in the stored read, the audit log and the whole-record export, and searched
beside the originals (accents folded on both databases)."""

from typing import Any

from sqlalchemy import select

from app.models import AuditEntry
from tests.conftest import Api
from tests.search.test_search import found

FRENCH = {
    "fr": {
        "title": "Enquête conjointe sur Clearview AI",
        "summary": "La collecte d'images constitue une surveillance de masse.",
    }
}


def joint_report(
    api: Api, reference: str = "PIPEDA Findings #2021-001", **extra: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    opc = api.regulator(f"Commissioner {reference}")
    org = api.organisation(f"Clearview AI ({reference})")
    decision = api.decision(
        opc["id"],
        reference=reference,
        title="Joint investigation of Clearview AI",
        summary="Collecting the images is mass surveillance.",
        organisations=[{"organisation_id": org["id"], "role": "respondent"}],
        **extra,
    )
    return decision, org


def test_a_decision_has_a_language_and_translations(api: Api) -> None:
    decision, _ = joint_report(api, translations=FRENCH)
    assert decision["language"] == "en"
    assert decision["translations"] == FRENCH
    url = f"/api/v1/decisions/{decision['id']}"
    assert api.ok(api.get(url))["translations"] == FRENCH
    # A decision issued in French, translated into English; codes taken in any case.
    other, _ = joint_report(
        api,
        reference="CAI 1023158-S",
        language="FR",
        translations={"EN": {"title": "Decision on Clearview AI"}},
    )
    assert other["language"] == "fr"
    assert other["translations"] == {"en": {"title": "Decision on Clearview AI", "summary": None}}
    # PATCH replaces them whole (audited); an edit that leaves them out keeps them; {} removes.
    both = FRENCH | {"de": {"title": "Gemeinsame Untersuchung", "summary": None}}
    patched = api.ok(api.patch(url, {"translations": {"fr": FRENCH["fr"], "de": both["de"]}}))
    assert list(patched["translations"]) == ["de", "fr"]  # in code order, whatever order sent
    assert list(api.ok(api.get(url))["translations"]) == ["de", "fr"]
    assert api.ok(api.get(url))["translations"] == both
    with api.db.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "decision").order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None and entry.before is not None and entry.after is not None
        assert entry.before["translations"] == FRENCH and entry.after["translations"] == both
    assert api.ok(api.patch(url, {"title": "Joint investigation"}))["translations"] == both
    assert api.ok(api.patch(url, {"translations": {}}))["translations"] == {}
    # Listed with them.
    listed = api.ok(api.get("/api/v1/decisions"))["items"]
    assert {d["reference"]: d["language"] for d in listed} == {
        "PIPEDA Findings #2021-001": "en",
        "CAI 1023158-S": "fr",
    }


def test_translations_into_the_records_own_language_and_unknown_codes_are_refused(api: Api) -> None:
    opc = api.regulator()
    body = {
        "reference": "R-1",
        "title": "Joint investigation",
        "kind": "report_of_findings",
        "issued_on": "2021-02-03",
        "regulators": [{"regulator_id": opc["id"], "role": "lead"}],
    }
    for extra, field in (
        ({"translations": {"en": {"title": "Same language"}}}, "translations"),
        ({"language": "fr", "translations": {"fr": {"title": "Même langue"}}}, "translations"),
        ({"language": "xx"}, "language"),
        ({"language": "english"}, "language"),
        ({"translations": {"zz": {"title": "Nowhere"}}}, "translations.zz.[key]"),
        ({"translations": {"fr": {"summary": "Sans titre"}}}, "translations.fr.title"),
    ):
        refused = api.post("/api/v1/decisions", body | extra)
        assert refused.status_code == 422, (extra, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        fields = [e["field"] for e in refused.json()["errors"]]
        assert fields == [field], (extra, fields)
    assert api.ok(api.get("/api/v1/decisions"))["items"] == []  # nothing half-written
    # On an edit: against the decision as it stands.
    decision, org = joint_report(api, translations=FRENCH)
    url = f"/api/v1/decisions/{decision['id']}"
    bad = api.patch(url, {"language": "fr"})
    assert bad.status_code == 422, bad.text
    assert [e["field"] for e in bad.json()["errors"]] == ["language"]
    bad = api.patch(url, {"translations": {"en": {"title": "x"}}})
    assert [e["field"] for e in bad.json()["errors"]] == ["translations.en"]
    # A recommendation's text is in its decision's language: a translation into it is refused,
    # and so is making the decision's language one its recommendations are translated into.
    rec = api.recommendation(decision["id"], org["id"], "Stop collecting images.")
    rec_url = f"/api/v1/recommendations/{rec['id']}"
    bad = api.patch(rec_url, {"translations": {"en": {"text": "Stop."}}})
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["translations.en"]
    api.ok(api.patch(rec_url, {"translations": {"de": {"text": "Keine Bilder mehr sammeln."}}}))
    api.ok(api.patch(url, {"translations": {}}))
    bad = api.patch(url, {"language": "de"})
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["language"]
    assert api.ok(api.get(url))["language"] == "en"


def test_a_recommendations_text_in_other_languages(api: Api) -> None:
    decision, org = joint_report(api, translations=FRENCH)
    french = {"fr": {"text": "Cesser de recueillir des images de personnes au Canada."}}
    rec = api.recommendation(decision["id"], org["id"], "Stop collecting images.", translations=french)
    assert rec["translations"] == french
    url = f"/api/v1/recommendations/{rec['id']}"
    assert api.ok(api.get(url))["translations"] == french
    listed = api.ok(api.get(f"/api/v1/recommendations?decision_id={decision['id']}"))["items"]
    assert [r["translations"] for r in listed] == [french]
    plain = api.recommendation(decision["id"], org["id"], "Delete the images.")
    assert plain["translations"] == {}
    assert api.ok(api.patch(url, {"translations": {}}))["translations"] == {}


def test_search_finds_a_record_in_either_language_accents_folded(api: Api) -> None:
    decision, org = joint_report(api, translations=FRENCH)
    french = {"fr": {"text": "Supprimer les données biométriques recueillies au Canada."}}
    rec = api.recommendation(decision["id"], org["id"], "Delete the biometric data.", translations=french)

    assert ("decision", decision["id"]) in found(api, "enquete conjointe")  # the French title, no accents
    assert ("decision", decision["id"]) in found(api, "surveillance de masse")  # the French summary
    assert ("decision", decision["id"]) in found(api, "joint investigation")  # the original still
    assert ("recommendation", rec["id"]) in found(api, "donnees biometriques")
    assert ("recommendation", rec["id"]) in found(api, "données")
    # The lists' `q` filter too; and a translation removed is no longer found.
    listed = api.ok(api.get("/api/v1/recommendations", params={"q": "recueillies"}))["items"]
    assert [r["id"] for r in listed] == [rec["id"]]
    api.ok(api.patch(f"/api/v1/decisions/{decision['id']}", {"translations": {}}))
    assert ("decision", decision["id"]) not in found(api, "enquete conjointe")


def test_the_whole_record_export_carries_them(api: Api) -> None:
    decision, org = joint_report(api, translations=FRENCH)
    french = {"fr": {"text": "Cesser de recueillir des images."}}
    api.recommendation(decision["id"], org["id"], "Stop collecting images.", translations=french)
    api.recommendation(decision["id"], org["id"], "Delete them.")
    exported = api.ok(api.get("/api/v1/export"))
    [d] = exported["decisions"]
    assert d["language"] == "en" and d["translations"] == FRENCH
    recs = exported["recommendations"]
    assert [r.get("translations") for r in recs] == [french, None]  # written only where there are some


def test_french_words_find_their_other_forms_on_postgresql(api: Api) -> None:
    """PostgreSQL stems French words (« surveillée » finds « surveillance »); SQLite folds
    case and accents only, so there such a query finds nothing but the word as written."""
    decision, org = joint_report(api, translations=FRENCH)
    rec = api.recommendation(
        decision["id"],
        org["id"],
        "Stop collecting images.",
        translations={"fr": {"text": "Cesser de recueillir des images de personnes au Canada."}},
    )

    stemmed = not api.db.is_sqlite
    assert (("decision", decision["id"]) in found(api, "surveillances de masses")) is stemmed
    assert (("recommendation", rec["id"]) in found(api, "recueilli")) is stemmed
    listed = api.ok(api.get("/api/v1/recommendations", params={"q": "recueillir personne"}))["items"]
    assert ([r["id"] for r in listed] == [rec["id"]]) is stemmed
    # The words as written are found on both; a word left out still leaves it out.
    assert ("recommendation", rec["id"]) in found(api, "recueillir")
    assert ("recommendation", rec["id"]) not in found(api, "recueillir -personnes")


def test_a_decision_issued_in_french_is_stemmed_as_french(api: Api) -> None:
    """A French decision's own words are French (stems found on PostgreSQL); made English,
    its recommendations' texts are no longer read as French."""
    opc = api.regulator("Commission d'accès à l'information du Québec", "CA-QC")
    org = api.organisation()
    decision = api.decision(
        opc["id"],
        reference="CAI 1023158-S",
        title="Décision concernant Clearview AI",
        summary="Les images recueillies doivent être détruites.",
        language="fr",
    )
    rec = api.recommendation(decision["id"], org["id"], "Détruire les images recueillies.")

    stemmed = not api.db.is_sqlite
    assert ("decision", decision["id"]) in found(api, "détruites")  # the word as written
    assert (("decision", decision["id"]) in found(api, "recueillir")) is stemmed
    assert (("recommendation", rec["id"]) in found(api, "recueilli")) is stemmed
    api.ok(api.patch(f"/api/v1/decisions/{decision['id']}", {"language": "en"}))
    assert ("recommendation", rec["id"]) not in found(api, "recueilli")
    assert ("recommendation", rec["id"]) in found(api, "recueillies")
