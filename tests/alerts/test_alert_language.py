"""Alerts in the subscriber's language (issue 28, part 1): a subscription keeps the language it
was made in (the follow form's page, the API's `language` or its Accept-Language), and the
worker writes each e-mail in it; feeds follow `?lang=` or Accept-Language."""

import xml.etree.ElementTree as ET
from typing import Any

from sqlalchemy import select

from app.db import Database
from app.models import Subscription
from app.services.alerts import worker
from app.vocab import Role
from tests.alert_helpers import Mailbox, Receiver
from tests.alerts.test_alerts import ALL, record
from tests.conftest import Api
from tests.web_helpers import fast_passwords  # noqa: F401

NS = {"a": "http://www.w3.org/2005/Atom"}


def languages(db: Database) -> list[str]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(Subscription.language).order_by(Subscription.id)))


def test_a_subscription_made_on_a_french_page_gets_french_e_mails(
    api: Api, db: Database, smtp: Mailbox
) -> None:
    r = record(api)
    csrf = api.sign_in(Role.reader)
    api.client.cookies.set("lang", "fr")
    data = {"csrf_token": csrf, "type": "organisation", "id": str(r["clearview"]["id"]), "events": ALL}
    followed = api.client.post("/follow", data=data | {"channel": "email"}, follow_redirects=False)
    assert followed.status_code == 303
    assert languages(db) == ["fr"]
    api.assess(r["recs"][0]["id"], "partially_complied", "2024-01-15")
    worker.run_once(db)
    assert smtp.messages
    for message in smtp.messages:
        text = smtp.text(message)
        assert "Vous suivez Clearview AI, Inc. sur Findings Tracker." in text
        assert "Arrêter ces alertes :" in text and "Stop these alerts" not in text
    subjects = [str(m["Subject"]) for m in smtp.messages]
    assert any("Partiellement respectée" in s for s in subjects), subjects
    body = "\n".join(smtp.text(m) for m in smtp.messages)
    assert "Évaluée le 15 janvier 2024, selon : Autorité de contrôle" in body


def test_english_stays_the_default_and_the_api_takes_a_language(
    api: Api, db: Database, receiver: Receiver, settings_env: Any
) -> None:
    settings_env(allow_private_urls="true")  # the receiver is on loopback
    r = record(api)
    target = {"type": "organisation", "id": r["clearview"]["id"]}
    body = {"target": target, "channel": "webhook", "url": receiver.url}
    english = api.ok(api.post("/api/v1/subscriptions", body, role=Role.reader), 201)
    assert english["language"] == "en"
    french = api.ok(
        api.post(
            "/api/v1/subscriptions",
            body | {"url": receiver.url + "?0", "language": "fr"},
            role=Role.reader,
        ),
        201,
    )
    assert french["language"] == "fr"
    negotiated = api.post(
        "/api/v1/subscriptions",
        body | {"url": receiver.url + "?1"},
        role=Role.reader,
        headers={"Accept-Language": "fr-CA"},
    )
    assert api.ok(negotiated, 201)["language"] == "fr"
    refused = api.post(
        "/api/v1/subscriptions", body | {"url": receiver.url + "?2", "language": "de"}, role=Role.reader
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["language"]
    assert languages(db) == ["en", "fr", "fr"]


def test_feeds_follow_the_asked_language(api: Api) -> None:
    r = record(api)
    api.assess(r["recs"][0]["id"], "partially_complied", "2021-06-01")
    params = {"organisation_id": r["clearview"]["id"]}
    english = ET.fromstring(api.get("/feeds/assessments.atom", params=params).content)
    assert (
        english.findtext("a:title", namespaces=NS)
        == "Findings Tracker: compliance changes: Clearview AI, Inc."
    )
    assert english.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    french = ET.fromstring(api.get("/feeds/assessments.atom", params=params | {"lang": "fr"}).content)
    assert french.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    assert (
        french.findtext("a:title", namespaces=NS)
        == "Findings Tracker : changements de conformité : Clearview AI, Inc."
    )
    entry = french.find("a:entry", NS)
    assert entry is not None
    assert entry.findtext("a:title", namespaces=NS) == "Partiellement respectée : Stop doing 1"
    summary = entry.findtext("a:summary", namespaces=NS) or ""
    assert "partiellement respectée au 1 juin 2021, selon autorité de contrôle" in summary
    negotiated = ET.fromstring(api.get("/feeds/decisions.atom", headers={"Accept-Language": "fr"}).content)
    assert negotiated.findtext("a:title", namespaces=NS) == "Findings Tracker : décisions"
    decision = negotiated.findtext("a:entry/a:summary", namespaces=NS) or ""
    assert decision.startswith("Rendue le 3 février 2021 par Office of the Privacy Commissioner of Canada")
    assert "état : en vigueur." in decision
