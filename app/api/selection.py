"""`fields=id,reference,compliance`: a read or a list answers only the fields asked for.

Every GET route of an ``ApiRoute`` router whose answer is an item with an ``id`` (or a page
of them) takes ``fields``: a comma-separated list of the item's top-level fields. A list keeps
``items`` and ``next_cursor``; each item has only the fields named. An unknown field is
refused (422, naming it). The OpenAPI description states the allowed names as a pattern, and
the answer's schema as either the whole item or the item with only some of its fields
(``<Item>Fields``, nothing required).
"""

import functools
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, get_origin

from fastapi import Query, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.errors import FieldError, Invalid
from app.schemas.common import Page

PARAMETER = "fields"


def item_model(response_model: Any) -> tuple[type[BaseModel], bool] | None:
    """The item model of an answer that takes `fields`, and whether the answer is a page."""
    if not isinstance(response_model, type) or not issubclass(response_model, BaseModel):
        return None
    paged = issubclass(response_model, Page)
    model: Any = response_model
    if paged:
        metadata = response_model.__pydantic_generic_metadata__
        args = metadata.get("args") or ()
        if not args:
            return None
        model = args[0]
    if get_origin(model) is not None or not isinstance(model, type) or not issubclass(model, BaseModel):
        return None
    if "id" not in model.model_fields:
        return None
    return model, paged


def selectable(methods: set[str] | None, response_model: Any) -> tuple[type[BaseModel], bool] | None:
    if set(methods or ()) - {"GET", "HEAD"}:
        return None
    return item_model(response_model)


def takes_fields(route: APIRoute) -> bool:
    return any(p.alias == PARAMETER for p in route.dependant.query_params) or any(
        getattr(d.call, "__selection__", None) is not None for d in route.dependant.dependencies
    )


def names(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()] + [
        field.alias or name for name, field in model.model_computed_fields.items()
    ]


@functools.cache
def dependency(model: type[BaseModel]) -> Callable[..., Coroutine[Any, Any, None]]:
    """The dependency reading `fields` for answers made of `model` (one per model)."""
    allowed = names(model)

    # Async (it does no I/O): a plain function would be run in a worker thread, a hop the
    # async fast reads (app/api/decisions.py) are written to avoid.
    async def fields(
        request: Request,
        value: Annotated[
            str | None,
            Query(
                alias=PARAMETER,
                max_length=2000,
                description="Only these fields of each item, comma-separated, such as "
                f"`id,{allowed[1] if len(allowed) > 1 else 'id'}`: one of "
                + ", ".join(f"`{n}`" for n in allowed)
                + ". Lists keep `items` and `next_cursor`.",
            ),
        ] = None,
    ) -> None:
        if value is None:
            return
        wanted = [n.strip() for n in value.split(",")]
        unknown = [n for n in wanted if n not in allowed]
        if unknown:
            raise Invalid(
                f"Unknown field(s) {', '.join(repr(n) for n in unknown)}; choose from {', '.join(allowed)}.",
                [FieldError("query.fields", f"unknown field {n!r}", "fields") for n in unknown],
            )
        request.state.fields = list(dict.fromkeys(wanted))

    # Marks the dependency, so that the route can tell it projects its answer (see above).
    setattr(fields, "__selection__", model)  # noqa: B010
    return fields


def project(request: Request, response: Response, paged: bool) -> Response:
    """The answer with only the fields asked for (unchanged when none were)."""
    wanted: list[str] | None = getattr(request.state, "fields", None)
    if wanted is None or response.status_code != 200 or not hasattr(response, "body"):
        return response
    data = json.loads(bytes(response.body))

    def pick(item: dict[str, Any]) -> dict[str, Any]:
        return {k: item[k] for k in wanted if k in item}

    if paged:
        data["items"] = [pick(i) for i in data["items"]]
    else:
        data = pick(data)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(body, status_code=200, headers=headers, media_type="application/json")


def describe(route: APIRoute, operation: dict[str, Any], components: dict[str, Any]) -> None:
    """State the allowed names, and that an answer may hold only some fields."""
    found = selectable(route.methods, route.response_model)
    if found is None or not takes_fields(route):
        return
    model, paged = found
    alternatives = "|".join(names(model))
    for param in operation.get("parameters", []):
        if param["in"] == "query" and param["name"] == PARAMETER:
            schema = param["schema"]
            target = next((s for s in schema.get("anyOf", []) if s.get("type") == "string"), schema)
            target["pattern"] = rf"^({alternatives})(,({alternatives}))*$"
    name = model.__name__
    partial = f"{name}Fields"
    if partial not in components and name in components:
        whole = components[name]
        components[partial] = {
            **{k: v for k, v in whole.items() if k != "required"},
            "title": partial,
            "description": f"A {name} with only the fields asked for by `fields`.",
        }
    refs = [{"$ref": f"#/components/schemas/{n}"} for n in (name, partial)]
    either = {"anyOf": refs}
    content = operation["responses"].get("200", {}).get("content", {}).get("application/json")
    if content is None:
        return
    if paged:
        ref = content["schema"].get("$ref", "")
        page = components.get(ref.rsplit("/", 1)[-1])
        if page is not None:
            page["properties"]["items"]["items"] = either
    else:
        content["schema"] = either
