"""The page of each kind of record, for links made outside a request (alert e-mails, feeds,
notices): the paths the pages' routes declare (`web_decision`, `web_recommendation`, ...),
checked against the router by tests/web/test_paths.py, so that a link in a message and a link
on a page cannot drift apart."""

from typing import Literal

Kind = Literal["decision", "recommendation", "organisation", "regulator", "case"]

PAGES: dict[Kind, str] = {
    "decision": "/decisions/{id}",
    "recommendation": "/recommendations/{id}",
    "organisation": "/organisations/{id}",
    "regulator": "/regulators/{id}",
    "case": "/cases/{id}",
}


def page(kind: Kind, record_id: object) -> str:
    """The path of a record's page (`page("decision", 7)` is `/decisions/7`)."""
    return PAGES[kind].format(id=record_id)
