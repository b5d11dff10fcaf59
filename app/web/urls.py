"""Route paths by name without walking the router: what `request.url_for(name, **params).path`
gives, from a table built once per router.

Starlette's `url_for` tries every route in turn, each refusing with an exception, until one
has the name and exactly the parameters given; on the decision page (dozens of links, over
two hundred routes) that walk was 55% of the page's time. Here each name maps to its routes'
compiled path formats (in the router's order), and a link is one dict lookup and one
formatting with the route's own convertors.

The answer is exactly Starlette's:

- the app's root path first (`base_url.path` without its last slash), as `make_absolute_url`;
- parameters written by the route's convertors, unquoted (Starlette does not quote them);
- the path of the URL Starlette builds and parses again: a value that this would change
  (`?`, `#`, a backslash, a leading `//`, spaces or control characters...) goes through
  Starlette's own `URLPath.make_absolute_url`;
- an unknown name, or parameters that no route of that name takes, raise Starlette's
  `NoMatchFound` (from Starlette's own walk, so the message is the same).

A router with an unnamed mount, or a mount with routes inside, can answer names the table
does not know: there every lookup is Starlette's own.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.convertors import Convertor
from starlette.datastructures import URLPath
from starlette.requests import Request
from starlette.routing import Mount, Route, Router, WebSocketRoute, replace_params

# Characters a path keeps through Starlette's URL round trip (urlsplit changes none of them).
PLAIN = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*")


@dataclass(frozen=True)
class Target:
    """One named route: its parameters, its path format and their convertors."""

    params: frozenset[str]
    path_format: str
    convertors: dict[str, Convertor[Any]]
    mount: bool  # a mount answers its name with a `path` (and at most its own parameters)

    def format(self, params: dict[str, Any]) -> str | None:
        """The route's path for `params`, or None when this route does not take them."""
        if self.mount:
            if "path" not in params:
                return None
            given = dict(params)
            given["path"] = given["path"].lstrip("/")
            path, remaining = replace_params(self.path_format, self.convertors, given)
            return None if remaining else path
        if params.keys() != self.params:
            return None
        if not params:
            return self.path_format
        path, _ = replace_params(self.path_format, self.convertors, dict(params))
        return path


def leaves(router: Router) -> Iterator[Any]:
    """The router's routes in the order it tries them, included routers opened (FastAPI keeps
    an included router as one entry that walks its own routes)."""
    for route in router.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            yield from contexts()
        else:
            yield route


def target_of(leaf: Any) -> Target | None:
    """How `leaf` formats its path, or None when it is not a kind the table knows."""
    starlette_route = getattr(leaf, "starlette_route", None)
    if starlette_route is not None:
        return target_of(starlette_route)
    if isinstance(leaf, Mount):
        if leaf.name is None or leaf.routes:
            return None
        return Target(frozenset(leaf.param_convertors), leaf.path_format, leaf.param_convertors, mount=True)
    # A route, or FastAPI's context of an API route in an included router (it formats its own
    # path_format with its own convertors, as a route does).
    original = getattr(leaf, "original_route", None)
    if not (isinstance(leaf, Route | WebSocketRoute) or isinstance(original, Route)):
        return None
    convertors: dict[str, Convertor[Any]] = leaf.param_convertors
    return Target(frozenset(convertors), leaf.path_format, convertors, mount=False)


class UrlBuilder:
    """The named routes of one router, by name, in the router's order."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.size = len(router.routes)
        self.targets: dict[str, list[Target]] | None = {}
        for leaf in leaves(router):
            target = target_of(leaf)
            if target is None:
                # An unnamed mount, a mount with routes, a host: names the table cannot know.
                self.targets = None
                return
            if leaf.name:
                self.targets.setdefault(leaf.name, []).append(target)

    def path(self, name: str, params: dict[str, Any]) -> str:
        """The route's path (without the root path); NoMatchFound as Starlette's."""
        for target in (self.targets or {}).get(name, ()):
            path = target.format(params)
            if path is not None:
                return path
        return str(self.router.url_path_for(name, **params))


# Where a router keeps its table (routers compare by value, so no dict can key on them).
ATTRIBUTE = "_url_builder"


def builder(router: Router) -> UrlBuilder:
    """The router's table, built on first use (again if routes were added since)."""
    found: UrlBuilder | None = getattr(router, ATTRIBUTE, None)
    if found is None or found.size != len(router.routes):
        found = UrlBuilder(router)
        setattr(router, ATTRIBUTE, found)
    return found


def path_for(request: Request, name: str, /, **params: Any) -> str:
    """`request.url_for(name, **params).path`, looked up by name."""
    router = request.scope.get("router")
    table = builder(router) if isinstance(router, Router) else None
    if table is None or table.targets is None:
        return str(request.url_for(name, **params).path)
    route_path = table.path(name, params)
    scope = request.scope
    root: str = scope.get("app_root_path", scope.get("root_path", ""))
    path = root.rstrip("/") + route_path
    if PLAIN.fullmatch(path) and not path.startswith("//"):
        return path
    # What Starlette builds and parses again (see the module's docstring).
    return URLPath(route_path).make_absolute_url(base_url=request.base_url).path
