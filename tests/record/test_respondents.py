"""The decisions list says who each decision is against: its respondent organisations, as a
column of the page (linked, as of the day read) and of the decisions CSV."""

import re

from tests.conftest import Api
from tests.reporting.test_csv_export import read_csv


def test_the_decisions_list_and_csv_name_the_respondents(api: Api) -> None:
    reg = api.regulator()
    clearview = api.organisation()
    parent = api.organisation("Clearview Holdings")
    police = api.organisation("Police", kind="law_enforcement")
    api.decision(
        reg["id"],
        reference="BOTH",
        organisations=[
            {"organisation_id": clearview["id"], "role": "respondent"},
            {"organisation_id": police["id"], "role": "client"},
            {"organisation_id": parent["id"], "role": "respondent"},
        ],
    )
    api.decision(
        reg["id"], reference="NONE", organisations=[{"organisation_id": police["id"], "role": "client"}]
    )

    page = api.get("/decisions", params={"as_of": "2024-01-01"})
    assert page.status_code == 200
    cells = re.findall(r'<td data-label="Respondents" class="col-respondents">(.*?)</td>', page.text)
    assert len(cells) == 2
    both = next(c for c in cells if "Clearview" in c)
    assert re.sub(r"<[^>]+>", "", both) == "Clearview AI, Inc., Clearview Holdings"
    assert f"/organisations/{clearview['id']}?as_of=2024-01-01" in both
    assert "Police" not in both  # a client is no respondent
    assert "" in cells  # a decision with no respondent has an empty cell

    rows = {r["reference"]: r for r in read_csv(api, "/api/v1/export/decisions.csv")}
    assert rows["BOTH"]["respondents"] == "Clearview AI, Inc.; Clearview Holdings"
    assert rows["NONE"]["respondents"] == ""
    # The organisations column still names every party with its role.
    assert "Police (client)" in rows["BOTH"]["organisations"]
