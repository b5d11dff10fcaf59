"""The shared field types of app/schemas/common.py: what they take and what they refuse."""

import re
import unicodedata

import pytest
from pydantic import TypeAdapter, ValidationError

from app.schemas.common import URL_PATTERN, Jurisdiction, Name, Url
from tests.conftest import Api

URL = TypeAdapter(Url)

# Control characters (C0, DEL, C1), and every format character (Unicode category Cf) of the
# Basic Multilingual Plane: the byte-order mark, zero-width spaces, direction overrides...
REFUSED = (
    [chr(c) for c in range(0x20)]
    + ["\x7f", "\x85", "\x9f"]
    + [chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) == "Cf"]
)


def test_the_refused_characters_include_del_and_the_byte_order_mark() -> None:
    assert {"\x7f", "\ufeff", "\u200b", "\u202e", "\xad"} <= set(REFUSED)


@pytest.mark.parametrize("char", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
def test_a_web_address_refuses_control_and_format_characters(char: str) -> None:
    for url in (f"https://example.org/{char}", f"https://exa{char}mple.org", f"https://example.org{char}"):
        with pytest.raises(ValidationError, match="should match pattern"):
            URL.validate_python(url)
        # The pattern published in the OpenAPI description says the same (Python's dialect).
        assert re.fullmatch(URL_PATTERN, url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/",
        "http://example.org/a?b=c#d",
        "https://www.garanteprivacy.it/home/docweb/-/docweb-display/docweb/9751362",
        "https://例え.jp/パス",
    ],
)
def test_a_web_address_takes_ordinary_addresses_unchanged(url: str) -> None:
    assert URL.validate_python(url) == url
    assert re.fullmatch(URL_PATTERN, url)


@pytest.mark.parametrize("url", ["ftp://example.org", "https://", "https://exa mple.org", " https://a.org"])
def test_a_web_address_refuses_other_schemes_blanks_and_white_space(url: str) -> None:
    with pytest.raises(ValidationError):
        URL.validate_python(url)


def test_the_api_refuses_a_website_with_a_byte_order_mark(api: Api) -> None:
    body = {"name": "Garante", "jurisdiction": "IT", "kind": "regulator", "website": "https://garante.it\ufeff"}
    response = api.post("/api/v1/regulators", body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["website"]
    body["website"] = "https://garante.it"
    assert api.ok(api.post("/api/v1/regulators", body), 201)["website"] == "https://garante.it"


def test_names_are_checked_as_sent_then_stripped() -> None:
    name = TypeAdapter(Name)
    assert name.validate_python("  Garante  ") == "Garante"
    assert name.validate_python(" " + "x" * 298 + " ") == "x" * 298
    for bad in ("", "   ", "a\x00b", "x" * 301):
        with pytest.raises(ValidationError):
            name.validate_python(bad)
    assert name.json_schema()["maxLength"] == 300
    assert name.json_schema()["description"] == "Leading and trailing white space is removed."


def test_codes_are_taken_in_any_case_and_stored_upper_case() -> None:
    jurisdiction = TypeAdapter(Jurisdiction)
    assert jurisdiction.validate_python(" ca-bc ") == "CA-BC"
    with pytest.raises(ValidationError):
        jurisdiction.validate_python("Canada")
    assert jurisdiction.json_schema()["pattern"] == r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$"
