"""The pages' route table (app/web/urls.py) gives exactly Starlette's `url_for(...).path`."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.convertors import IntegerConvertor, PathConvertor, StringConvertor
from starlette.requests import Request
from starlette.routing import Mount, NoMatchFound, Route, Router

from app.db import Database
from app.main import create_app
from app.web import templating, urls

# Values for each parameter: plain ones, and ones Starlette's round trip changes or keeps raw.
PLAIN = {IntegerConvertor: 7, StringConvertor: "abc-1", PathConvertor: "site.css"}
AWKWARD = ["a b", "x?y=1", "tag#frag", "100%", "é", "a\\b", "semi;colon", " lead", "tab\tin"]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path: Path = tmp_path_factory.mktemp("urls") / "unused.sqlite3"
    database = Database(f"sqlite:///{path}")
    yield create_app(database)
    database.dispose()


def request_on(app: Any, root_path: str = "", scheme: str = "http") -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": root_path + "/",
            "root_path": root_path,
            "scheme": scheme,
            "query_string": b"",
            "headers": [(b"host", b"findings.example")],
            "server": ("findings.example", 80),
            "app": app,
            "router": app.router,
        }
    )


def named(app: Any) -> list[Any]:
    return [r for r in urls.leaves(app.router) if getattr(r, "name", None)]


def template_names() -> set[str]:
    """The route names the templates link to by a literal name."""
    found: set[str] = set()
    for path in (Path(templating.HERE) / "templates").rglob("*.html"):
        found |= set(re.findall(r"url_for\('([a-z_]+)'[,)]", path.read_text()))
    return found


def params_of(route: Any, kind_value: dict[type, Any]) -> dict[str, Any]:
    convertors = route.param_convertors
    if isinstance(route, Mount):
        return {"path": kind_value[PathConvertor]}
    return {name: kind_value[type(c)] for name, c in convertors.items()}


def starlette(request: Request, name: str, **params: Any) -> str:
    return request.url_for(name, **params).path


def test_the_app_is_served_from_the_table(app: Any) -> None:
    targets = urls.builder(app.router).targets
    assert targets is not None
    assert len(template_names()) > 50
    assert template_names() <= targets.keys()
    assert {r.name for r in named(app)} == targets.keys()


@pytest.mark.parametrize("root_path", ["", "/findings", "/findings/"])
def test_every_named_route_gives_starlettes_path(app: Any, root_path: str) -> None:
    request = request_on(app, root_path)
    routes = named(app)
    assert len(routes) > 100
    for route in routes:
        params = params_of(route, PLAIN)
        name = route.name
        assert urls.path_for(request, name, **params) == starlette(request, name, **params), name


@pytest.mark.parametrize("value", AWKWARD)
def test_a_value_needing_quoting_gives_starlettes_path(app: Any, value: str) -> None:
    request = request_on(app)
    # A string parameter (the e-mailed token links) and the static mount's path.
    for name, params in [("reset_password", {"token": value}), ("static", {"path": value})]:
        assert urls.path_for(request, name, **params) == starlette(request, name, **params), (name, value)


def test_the_same_through_an_https_proxy_root(app: Any) -> None:
    request = request_on(app, "/odd?root", scheme="https")
    assert urls.path_for(request, "web_decision", decision_id=3) == starlette(
        request, "web_decision", decision_id=3
    )


def test_the_template_url_for_keeps_its_query_string(app: Any) -> None:
    request = request_on(app)
    html = templating.env.from_string(
        "{{ url_for('web_decision', decision_id=5, _query={'as_of': '2024-01-02', 'x': None}) }}"
    ).render(request=request)
    assert html == "/decisions/5?as_of=2024-01-02"


def test_an_unknown_name_fails_as_before(app: Any) -> None:
    request = request_on(app)
    with pytest.raises(NoMatchFound) as ours:
        urls.path_for(request, "no_such_page")
    with pytest.raises(NoMatchFound) as theirs:
        starlette(request, "no_such_page")
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("params", [{}, {"decision_id": 1, "extra": 2}, {"record_id": 1}])
def test_missing_or_unknown_params_fail_as_before(app: Any, params: dict[str, Any]) -> None:
    request = request_on(app)
    with pytest.raises(NoMatchFound) as ours:
        urls.path_for(request, "web_decision", **params)
    with pytest.raises(NoMatchFound) as theirs:
        starlette(request, "web_decision", **params)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("value", ["", "a/b"])
def test_a_bad_value_fails_as_before(app: Any, value: str) -> None:
    request = request_on(app)
    with pytest.raises(AssertionError) as ours:
        urls.path_for(request, "reset_password", token=value)
    with pytest.raises(AssertionError) as theirs:
        starlette(request, "reset_password", token=value)
    assert str(ours.value) == str(theirs.value)


def test_routes_added_later_are_found() -> None:
    async def page(request: Request) -> None:
        raise AssertionError("not served")

    router = Router([Route("/a/{n:int}", page, name="a")])
    app = type("App", (), {"router": router})()
    request = request_on(app)
    assert urls.path_for(request, "a", n=1) == "/a/1"
    router.routes.append(Route("/b/{s}", page, name="b"))
    assert urls.path_for(request, "b", s="x") == "/b/x"


def test_same_name_routes_are_tried_in_the_routers_order() -> None:
    async def page(request: Request) -> None:
        raise AssertionError("not served")

    router = Router([Route("/one/{a}", page, name="x"), Route("/two/{b}", page, name="x")])
    app = type("App", (), {"router": router})()
    request = request_on(app)
    for params in ({"a": "1"}, {"b": "2"}):
        assert urls.path_for(request, "x", **params) == starlette(request, "x", **params)


def test_an_unnamed_mount_leaves_it_to_starlette() -> None:
    async def page(request: Request) -> None:
        raise AssertionError("not served")

    router = Router([Mount("/sub", routes=[Route("/p/{a}", page, name="p")])])
    app = type("App", (), {"router": router})()
    request = request_on(app)
    assert urls.builder(router).targets is None
    assert urls.path_for(request, "p", a="1") == starlette(request, "p", a="1") == "/sub/p/1"
