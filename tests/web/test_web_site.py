"""The smaller things of the pages (issue 14, problem 9): the whole appeal chain, a joint
decision once on its case page, 404 for an address that names no record, "Sign in" coming
back to the whole address, the favicon and robots.txt."""

import re
from html import unescape
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.routing import iter_route_contexts

from app.db import Database
from app.main import create_app
from app.services import demo
from app.vocab import Role
from app.web import site
from app.web.pages import side_by_side
from tests.conftest import Api
from tests.web_helpers import PASSWORD, fast_passwords, make_user  # noqa: F401  (autouse fixture)


def load_demo(api: Api) -> dict[str, int]:
    with api.db.transaction(actor="test") as session:
        demo.load(session)
    items = api.ok(api.get("/api/v1/decisions", params={"limit": 100}))["items"]
    return {d["reference"]: d["id"] for d in items}


ICO = "ICO MPN Clearview AI Inc (2022)"
FTT = "[2023] UKFTT 819 (GRC)"
UT = "Information Commissioner v Clearview AI Inc (UT 2025)"
PIPEDA = "PIPEDA Findings #2021-001"


def chain_of(html: str) -> list[str]:
    """The references of the chain's steps, in their order on the page."""
    section = html.split('<ol class="timeline chain">', 1)
    assert len(section) == 2, "no chain on the page"
    steps = section[1].split("</ol>", 1)[0].split("<li")[1:]
    references = [re.search(r'<span class="muted">([^<]+)</span></p>', s) for s in steps]
    assert all(references), "a step without its reference"
    return [unescape(r.group(1)) for r in references if r]


def test_every_step_of_the_appeal_chain_is_on_each_decision_page(api: Api) -> None:
    ids = load_demo(api)
    # ICO fine <- overturned by the FTT <- overturned by the UT, which also remits the fine.
    for reference in (ICO, FTT, UT):
        html = api.get(f"/decisions/{ids[reference]}").text
        assert chain_of(html) == [ICO, FTT, UT], reference
        assert html.count('aria-current="step"') == 1
    ut = api.get(f"/decisions/{ids[UT]}").text
    assert '<span class="rel">Overturns</span> [2023] UKFTT 819 (GRC)' in ut
    assert f'<span class="rel">Remits</span> {ICO}' in ut
    ftt = api.get(f"/decisions/{ids[FTT]}").text
    # Two steps away from the FTT's page both ways: the earlier fine and the later appeal link.
    assert f'href="/decisions/{ids[ICO]}"' in ftt and f'href="/decisions/{ids[UT]}"' in ftt
    # As of a day before the Upper Tribunal ruled, the chain ends at the FTT.
    then = api.get(f"/decisions/{ids[ICO]}", params={"as_of": "2024-01-01"}).text
    assert chain_of(then) == [ICO, FTT]
    assert f"/decisions/{ids[FTT]}?as_of=2024-01-01" in then
    # A decision linked to none has no chain.
    alone = api.get(f"/decisions/{ids['HDPA 35/2022']}").text
    assert "No related decisions." in alone and "timeline chain" not in alone


def test_a_joint_decision_is_shown_once_on_its_case_page_with_all_its_regulators(api: Api) -> None:
    ids = load_demo(api)
    case_id = api.ok(api.get(f"/api/v1/decisions/{ids[PIPEDA]}"))["case_id"]
    html = api.get(f"/cases/{case_id}").text
    side = html.split('id="side-title"', 1)[1].split('id="timeline-title"', 1)[0]
    assert side.count(f'href="/decisions/{ids[PIPEDA]}"') == 1
    assert "<h3" in side and ">CA, CA-AB, CA-BC, CA-QC</h3>" in side
    joint = side.split(f'href="/decisions/{ids[PIPEDA]}"', 1)[1].split("</li>", 1)[0]
    for name in (
        "Office of the Privacy Commissioner of Canada",
        "Commission d&#39;accès à l&#39;information",
    ):
        assert name in joint
    assert "jointly by" in joint
    # Every other jurisdiction keeps a column of its own; each decision is in one column.
    case = api.ok(api.get(f"/api/v1/cases/{case_id}"))
    headings = re.findall(r"<h3 [^>]*>([^<]+)</h3>", side)
    assert sorted(j for h in headings for j in h.split(", ")) == sorted(case["jurisdictions"])
    for reference, decision_id in ids.items():
        assert side.count(f'href="/decisions/{decision_id}"') == 1, reference


def test_side_by_side_joins_the_jurisdictions_that_decided_together() -> None:
    def decision(name: str, *jurisdictions: str) -> SimpleNamespace:
        return SimpleNamespace(name=name, regulators=[SimpleNamespace(jurisdiction=j) for j in jurisdictions])

    a, b, c, d = (
        decision("a", "FR"),
        decision("b", "DE", "AT"),
        decision("c", "AT", "IT"),
        decision("d", "FR"),
    )
    columns = side_by_side([a, b, c, d], ["IT", "FR", "DE", "AT"])
    assert [(js, [x.name for x in items]) for js, items in columns] == [
        (["IT", "DE", "AT"], ["b", "c"]),
        (["FR"], ["a", "d"]),
    ]
    assert side_by_side([], ["FR"]) == []


def page_routes_with_ids() -> list[str]:
    """Every page (not API) address with an integer id in it, as the app routes them."""
    app = create_app(Database("sqlite:///:memory:"))
    found = []
    for route in iter_route_contexts(app.routes):
        path = getattr(route, "path", None) or ""
        if "GET" in (route.methods or ()) and not path.startswith(("/api/", "/feeds/")) and "_id}" in path:
            found.append(path)
    return found


PAGE_ROUTES = page_routes_with_ids()


def test_the_id_routes_are_found() -> None:
    assert {"/decisions/{decision_id}", "/decisions/{record_id}/edit", "/cases/{case_id}"} <= set(PAGE_ROUTES)
    assert len(PAGE_ROUTES) >= 12


@pytest.mark.parametrize("bad", ["abc", "0", "-3", "1.5", "99999999999999999999"])
def test_an_address_that_names_no_record_is_a_404_page(api: Api, bad: str) -> None:
    api.sign_in(Role.admin)  # the forms too: an admin gets past every sign-in (retraction's too)
    for route in PAGE_ROUTES:
        path = re.sub(r"\{\w+_id\}", bad, route).replace("{token}", "t" * 20)
        response = api.get(path, follow_redirects=False)
        assert response.status_code == 404, (path, response.status_code, response.text[:300])
        assert response.headers["content-type"].startswith("text/html")
        assert "There is no page at this address." in response.text
        for developer_text in ("Input should be", "int_parsing", "path."):
            assert developer_text not in response.text, path
    # The API keeps its contract: a malformed id is a 422 problem there.
    problem = api.get(f"/api/v1/decisions/{bad}")
    assert problem.status_code == 422
    assert problem.headers["content-type"] == "application/problem+json"


def sign_in_link(html: str) -> str:
    found = re.search(r'<a href="(/signin[^"]*)">Sign in</a>', html)
    assert found, "no Sign in link"
    return unescape(found.group(1))


def test_sign_in_comes_back_to_the_whole_address(api: Api) -> None:
    email = make_user(api.db)
    for address in ("/decisions?kind=order&tag=facial-recognition&sort=-issued_on", "/search?q=Clearview+AI"):
        link = sign_in_link(api.get(address).text)
        assert parse_qs(urlsplit(link).query)["next"] == [address]
        form = api.get(link).text
        assert f'name="next" value="{address.replace("&", "&amp;")}"' in form
        response = api.client.post(
            "/signin", data={"email": email, "password": PASSWORD, "next": address}, follow_redirects=False
        )
        assert response.status_code == 303 and response.headers["location"] == address
        api.client.cookies.clear()
    assert parse_qs(urlsplit(sign_in_link(api.get("/decisions").text)).query)["next"] == ["/decisions"]
    # On the sign-in page itself, the header's link leads where that page leads, not to itself.
    page = api.get("/signin", params={"next": "/cases?q=x"}).text
    assert parse_qs(urlsplit(sign_in_link(page)).query)["next"] == ["/cases?q=x"]


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "evil",
    ],
)
def test_signing_in_never_leads_to_another_site(api: Api, target: str) -> None:
    email = make_user(api.db)
    response = api.client.post(
        "/signin", data={"email": email, "password": PASSWORD, "next": target}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_favicon_is_the_site_icon(api: Api) -> None:
    response = api.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.content == (site.STATIC_DIR / "favicon.svg").read_bytes()
    assert response.content.lstrip().startswith(b"<svg")


def robots_allows(robots: str, path: str) -> bool:
    """RFC 9309 for `User-agent: *`: the longest matching rule wins (Allow on a tie); `*`
    matches any characters and `$` ends a rule."""
    best: tuple[int, bool] = (-1, True)
    for line in robots.splitlines():
        field, _, value = line.partition(":")
        field, value = field.strip().lower(), value.strip()
        if field not in ("allow", "disallow") or not value:
            continue
        pattern = "^" + re.escape(value).replace(r"\*", ".*").replace(r"\$", "$")
        if re.match(pattern, path) and (len(value), field == "allow") > best:
            best = (len(value), field == "allow")
    return best[1]


def test_robots_lets_crawlers_read_the_record_and_keeps_them_out_of_forms_and_accounts(api: Api) -> None:
    response = api.get("/robots.txt")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    robots = response.text
    assert robots.splitlines()[1] == "User-agent: *"
    for path in (
        "/",
        "/decisions",
        "/decisions?kind=order",
        "/decisions/12",
        "/recommendations/3",
        "/organisations/1",
        "/regulators/2",
        "/cases/1",
        "/feeds/decisions.atom",
        "/api/v1/decisions/12",
        "/api/v1/stats",
        "/static/site.css",
        "/favicon.ico",
        "/docs",
    ):
        assert robots_allows(robots, path), path
    for path in (
        "/decisions/new",
        "/decisions/12/edit",
        "/recommendations/3/assessments/new",
        "/signin?next=/",
        "/signup",
        "/password-reset",
        "/account/password",
        "/follow?type=decision&id=1",
        "/subscriptions",
        "/unsubscribe/1/abc",
        "/search?q=x",
        "/api/v1/tokens",
        "/api/v1/audit",
        "/api/v1/import",
        "/api/v1/export",
        "/api/v1/subscriptions",
    ):
        assert not robots_allows(robots, path), path
    # Every form and account page the app has is covered.
    app = create_app(Database("sqlite:///:memory:"))
    for route in iter_route_contexts(app.routes):
        path = getattr(route, "path", None) or ""
        if "POST" in (route.methods or ()) and not path.startswith("/api/"):
            concrete = re.sub(r"\{\w+\}", "1", path)
            assert not robots_allows(robots, concrete), concrete
