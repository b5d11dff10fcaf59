"""Who may call each route: every route declares one rule, and a test checks them all.

A rule is declared by marking a function that FastAPI calls for the route: the endpoint
itself (``@public``) or one of its dependencies (``require(Role.editor)`` marks the check it
returns). The rule of a route is the strictest mark found in its dependency tree. Routes
that are not FastAPI endpoints (the OpenAPI description, the docs, a static mount) declare
theirs with ``declare_path``. ``tests/api/test_access.py`` walks ``app.routes``, fails on any route
with no rule, and calls each one as anonymous, reader, editor and admin.

The browser pages use the same marks: a page dependency such as ``current_user(role)`` is
marked with ``mark(check, Access.editor)``, a public page with ``@public``.
"""

from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any, TypeVar

from fastapi.dependencies.models import Dependant

F = TypeVar("F", bound=Callable[..., Any])

ATTRIBUTE = "__access__"


class Access(StrEnum):
    """Who may call a route; each level lets in the ones after it."""

    public = "public"  # anyone, signed in or not
    reader = "reader"  # any valid token or account
    editor = "editor"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Access).index(self)


def mark(fn: F, access: Access) -> F:
    """Declare that calling `fn` (an endpoint or a dependency) needs `access`."""
    setattr(fn, ATTRIBUTE, access)
    return fn


def public(fn: F) -> F:
    """Decorator: anyone may call this endpoint."""
    return mark(fn, Access.public)


# Paths of routes that are not FastAPI endpoints (docs, static files), with their rule.
_DECLARED_PATHS: dict[str, Access] = {}


def declare_path(path: str, access: Access) -> None:
    _DECLARED_PATHS[path] = access


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def rule_of(route: Any) -> Access | None:
    """The declared rule of a route (from `app.routes`), or None when it declares none."""
    dependant = getattr(route, "dependant", None)
    if dependant is not None:
        marks = [getattr(call, ATTRIBUTE) for call in _calls(dependant) if hasattr(call, ATTRIBUTE)]
        return max(marks, key=lambda a: a.rank) if marks else None
    return _DECLARED_PATHS.get(getattr(route, "path", ""))
