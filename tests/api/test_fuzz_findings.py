"""What the fuzzer found, pinned as plain tests (each failed before its fix)."""

from tests.conftest import Api


def test_a_number_is_not_a_date(api: Api) -> None:
    # pydantic read "0" as a Unix timestamp (1970-01-01); the schema says an ISO date.
    for params in ({"as_of": "0"}, {"as_of": "1700000000"}):
        assert api.get("/api/v1/regulators", params=params).status_code == 422
    assert api.get("/api/v1/decisions", params={"issued_to": "0"}).status_code == 422
    assert api.get("/api/v1/decisions", params={"as_of": "2021-02-03"}).status_code == 200


def test_405_names_every_method_of_the_path(api: Api) -> None:
    response = api.client.put("/api/v1/regulators/1")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, PATCH"
    assert response.headers["content-type"] == "application/problem+json"


def test_the_schema_states_the_rules_the_validators_apply(api: Api) -> None:
    spec = api.ok(api.get("/openapi.json"))["components"]["schemas"]
    assert spec["RegulatorCreate"]["properties"]["jurisdiction"]["pattern"]
    assert "pattern" in spec["RegulatorCreate"]["properties"]["name"]
    # A day, a month or a year (issue 25: dates as precise as their source), each within 1800-2999.
    forms = spec["DecisionCreate"]["properties"]["issued_on"]["anyOf"]
    assert len(forms) == 2 and all(f["pattern"].startswith("^(1[89]") for f in forms)


def test_blank_text_nul_and_out_of_range_values_are_refused(api: Api) -> None:
    reg = api.regulator()
    for body in (
        {"name": "\r", "jurisdiction": "CA"},
        {"name": "A\x00B", "jurisdiction": "CA"},
        {"name": "B", "jurisdiction": "CA", "website": "http://a\x00b"},
        # U+0085 is white space to Python and Rust, not to ECMAScript: spelled out in the schema.
        {"name": "\x85", "jurisdiction": "CA"},
        {"name": "B", "jurisdiction": "CA", "website": "http://a\x85b"},
    ):
        assert api.post("/api/v1/regulators", body).status_code == 422, body
    too_big = {"decision_id": 2**53, "organisation_id": 1, "text": "x"}
    assert api.post("/api/v1/recommendations", too_big).status_code == 422
    assert api.get(f"/api/v1/regulators/{2**53}").status_code == 422
    lowercase = api.post("/api/v1/regulators", {"name": "C", "jurisdiction": "ca-bc"})
    assert api.ok(lowercase, 201)["jurisdiction"] == "CA-BC"
    assert reg["id"]


def test_money_accepts_strings_and_exact_numbers_only(api: Api) -> None:
    reg = api.regulator()

    def penalty(amount: object, ref: str) -> int:
        body = {
            "reference": ref,
            "title": "T",
            "kind": "fine",
            "issued_on": "2022-05-23",
            "regulators": [{"regulator_id": reg["id"], "role": "lead"}],
            "penalty_amount": amount,
            "penalty_currency": "gbp",
        }
        return api.post("/api/v1/decisions", body).status_code

    assert penalty("7552800.00", "A") == 201
    assert penalty(7552800, "B") == 201
    assert penalty(0.57, "C") == 201  # a float's 0.5700000000000001 is still 57 cents
    # -1e26 made Decimal.quantize raise (a 500) before the range was checked.
    for i, bad in enumerate(("1.234", "-5", "1e3", " 12", 1.234, True, "NaN", -1e26, 1e300)):
        assert penalty(bad, f"BAD{i}") == 422, bad
    # The amount and its currency go together: a record rule with its own error type.
    body = {"reference": "P", "title": "T", "kind": "fine", "issued_on": "2022-05-23", "penalty_amount": "10"}
    lead = {"regulators": [{"regulator_id": reg["id"], "role": "lead"}]}
    alone = api.post("/api/v1/decisions", body | lead)
    assert alone.status_code == 422 and alone.json()["errors"][0]["type"] == "pair"


def test_exports_and_feeds_take_iso_dates_only(api: Api) -> None:
    # `issued_to=0` was read as a Unix timestamp on the CSV export and the feed.
    for url in ("/api/v1/export/decisions.csv", "/feeds/decisions.atom"):
        for value in ("0", "1700000000"):
            response = api.get(url, params={"issued_to": value})
            assert response.status_code == 422, (url, value)
            assert response.json()["errors"][0]["field"] == "query.issued_to"
        assert api.get(url, params={"issued_to": "2021-02-03"}).status_code == 200


def test_lengths_count_what_is_sent(api: Api) -> None:
    # A name padded with blanks over maxLength was accepted (stripped, then measured).
    padded = api.post("/api/v1/regulators", {"name": " " * 5 + "N" * 300, "jurisdiction": "CA"})
    assert padded.status_code == 422
    assert padded.json()["errors"][0]["type"] == "string_too_long"
    # Within the limit as sent, it is stripped.
    assert api.regulator(name="  Office  ")["name"] == "Office"
    # A web address is checked as sent too: white space around it is refused.
    assert (
        api.post(
            "/api/v1/regulators", {"name": "W", "jurisdiction": "CA", "website": " http://a.b"}
        ).status_code
        == 422
    )
