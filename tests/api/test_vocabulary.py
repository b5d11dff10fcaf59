"""`GET /api/v1/vocabulary` (issue 28, part 1): every code of every vocabulary with its label
and explanation, in English or French; an unknown language is a 422 naming `lang`."""

from enum import StrEnum

from app import vocab
from tests.conftest import Api

VOCABULARIES = [
    obj
    for obj in vars(vocab).values()
    if isinstance(obj, type) and issubclass(obj, StrEnum) and obj is not StrEnum
]


def test_every_vocabulary_in_english_by_default(api: Api) -> None:
    response = api.get("/api/v1/vocabulary")
    body = api.ok(response)
    assert body["language"] == "en" and response.headers["content-language"] == "en"
    assert response.headers["etag"].startswith('W/"')
    found = body["vocabularies"]
    assert len(found) == len(VOCABULARIES)
    for enum in VOCABULARIES:
        name = next(n for n in found if n.replace("_", "") == enum.__name__.lower())
        assert [t["code"] for t in found[name]] == [m.value for m in enum]
    status = {t["code"]: t for t in found["status"]}
    assert status["partially_complied"] == {
        "code": "partially_complied",
        "label": "Partially complied",
        "explanation": "The organisation did some of what was asked.",
    }
    assert {t["code"]: t["label"] for t in found["decision_sort"]}["-issued_on"] == "Newest first"
    assert all(t["explanation"] is None for t in found["decision_kind"])
    assert {t["code"]: t["explanation"] for t in found["standing"]}["upheld"] == "A later decision upheld it."


def test_in_french_by_the_query_or_accept_language(api: Api) -> None:
    french = api.ok(api.get("/api/v1/vocabulary", params={"lang": "fr"}))
    assert french["language"] == "fr"
    status = {t["code"]: t for t in french["vocabularies"]["status"]}
    assert status["complied"]["label"] == "Respectée"
    assert status["not_complied"]["label"] == "Non respectée"
    assert status["pending"]["label"] == "En attente"
    assert status["disputed"]["label"] == "Contestée"
    assert status["complied"]["explanation"] == "L\u2019organisation a fait ce qui était demandé."
    negotiated = api.get("/api/v1/vocabulary", headers={"Accept-Language": "fr-CA, en;q=0.5"})
    assert api.ok(negotiated)["language"] == "fr"
    assert negotiated.headers["etag"] != api.get("/api/v1/vocabulary").headers["etag"]
    # The query wins over the header.
    assert (
        api.ok(api.get("/api/v1/vocabulary", params={"lang": "en"}, headers={"Accept-Language": "fr"}))[
            "language"
        ]
        == "en"
    )


def test_an_unsupported_language_is_a_problem_naming_lang(api: Api) -> None:
    response = api.get("/api/v1/vocabulary", params={"lang": "de"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["query.lang"]
