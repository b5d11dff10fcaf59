"""Words everywhere (issue 28, part 3): feeds say their filters, statuses and standing in words;
pages say who recorded a thing as a reader understands it, headings name the record, a bad
filter is explained in plain words, and no command is shown to the public."""

import re
import xml.etree.ElementTree as ET

from app.web import forms
from tests.conftest import Api

NS = {"a": "http://www.w3.org/2005/Atom"}


def test_feeds_say_their_filters_and_codes_in_words(api: Api) -> None:
    regulator = api.regulator()
    org = api.organisation()
    decision = api.decision(
        regulator["id"], organisations=[{"organisation_id": org["id"], "role": "respondent"}]
    )
    rec = api.recommendation(decision["id"], org["id"], "Delete the images", reference="2")
    api.assess(rec["id"], "partially_complied", "2021-06-01")

    changes = ET.fromstring(api.get("/feeds/assessments.atom", params={"organisation_id": org["id"]}).content)
    assert (
        changes.findtext("a:title", namespaces=NS)
        == "Findings Tracker: compliance changes: Clearview AI, Inc."
    )
    entry = changes.find("a:entry", NS)
    assert entry is not None
    assert entry.findtext("a:title", namespaces=NS) == "Partially complied: Delete the images"
    summary = entry.findtext("a:summary", namespaces=NS) or ""
    assert "partially complied as of 2021-06-01, claimed by regulator" in summary
    assert "Recommendation 2 of REF-1" in summary and "_" not in summary.split("Recommendation")[0]

    listed = ET.fromstring(
        api.get(
            "/feeds/decisions.atom", params={"jurisdiction": "CA", "regulator_id": regulator["id"]}
        ).content
    )
    title = listed.findtext("a:title", namespaces=NS)
    assert title == "Findings Tracker: decisions: in Canada; by Office of the Privacy Commissioner of Canada"
    decision_summary = listed.findtext("a:entry/a:summary", namespaces=NS) or ""
    assert "standing: in force." in decision_summary and "(respondent)" in decision_summary
    assert "partially_complied" not in decision_summary and "in_force" not in decision_summary


def test_pages_name_who_recorded_and_what_a_heading_is_about(api: Api) -> None:
    from app.web.templating import by_whom, record_name

    assert by_whom("import") == "an import of a data set"
    assert by_whom("cli") == "an administrator, on the command line"
    assert by_whom("Ada Lovelace") == "Ada Lovelace"

    class Decision:
        id, reference, title = 7, "PIPEDA-2021-001", "Clearview AI"

    assert record_name(Decision()) == "PIPEDA-2021-001: Clearview AI"

    regulator = api.regulator()
    org = api.organisation()
    decision = api.decision(regulator["id"])
    rec = api.recommendation(
        decision["id"], org["id"], "Stop collecting images of people in Canada", reference="1"
    )
    page = " ".join(api.get(f"/recommendations/{rec['id']}").text.split())
    assert "<h1>Recommendation 1 of REF-1: " in page and "Stop collecting images" in page
    signin = api.get("/signin").text
    assert "findings user create" not in signin


def test_a_bad_filter_is_explained_in_plain_words(api: Api) -> None:
    page = api.get("/recommendations", params={"overdue": "perhaps"})
    assert page.status_code == 422
    assert "should be yes or no" in page.text and "Input should be" not in page.text
    assert forms._message(
        {"type": "int_parsing", "msg": "Input should be a valid integer", "input": "x"}
    ) == ("should be a whole number")
    assert (
        forms._message({"type": "greater_than_equal", "ctx": {"ge": 1}, "input": 0}) == "should be 1 or more"
    )


def test_the_dashboard_speaks_in_words_and_groups_thousands(api: Api) -> None:
    regulator = api.regulator()
    org = api.organisation()
    decision = api.decision(regulator["id"])
    rec = api.recommendation(decision["id"], org["id"], "Delete the images")
    api.assess(rec["id"], "partially_complied", "2021-06-01")
    page = api.get("/").text
    chart = page.split('id="chart-title"')[1].split("</section>")[0]
    words = re.sub(r"<[^>]+>", " ", chart)  # what a reader sees, tags and their attributes left out
    assert "partially_complied" not in words and "Partially complied" in words
    assert ">Partially complied</text>" in chart and ">Partially complied (1)</a>" in chart
    from app.web.templating import env

    assert env.from_string("{{ 40969 | number }}").render() == "40,969"
