"""What the editing pages (app/web/edit.py, edit_delete.py, edit_assessments.py) know about
each kind of record: its schemas and services, its page, and the version a form was opened at."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.labels import N_, gettext
from app.schemas.case import CaseUpdate
from app.schemas.common import MAX_ID
from app.schemas.decision import DecisionCreate, DecisionUpdate
from app.schemas.organisation import OrganisationUpdate
from app.schemas.recommendation import RecommendationUpdate
from app.schemas.regulator import RegulatorUpdate
from app.services.record import (
    cases,
    decision_edits,
    decisions,
    organisations,
    recommendations,
    regulators,
)
from app.web import forms

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@dataclass(frozen=True)
class Kind:
    """What the generic form pages need to know about one kind of record."""

    name: str  # the form's key in forms.SCHEMAS (the schema it fills) and forms.SCALARS
    # Its pages' headings: edit it, add one, delete it, back to it (translated when shown).
    titles: tuple[str, str, str, str]
    update_schema: type[BaseModel]
    create: Callable[[Session, Any], Any]
    update: Callable[[Session, int, Any, int | None], Any]
    read: Callable[[Session, int], Any]
    page: str  # route name of the record's page
    defaults: dict[str, Any]
    choices: Callable[[Session], dict[str, Any]] = lambda session: {}

    @property
    def create_schema(self) -> type[BaseModel]:
        return forms.SCHEMAS[self.name]

    @property
    def headings(self) -> tuple[str, ...]:
        """`titles` in the reader's language."""
        return tuple(gettext(title) for title in self.titles)


KINDS = {
    "regulators": Kind(
        "regulator",
        (
            N_("Edit regulator"),
            N_("Add a regulator"),
            N_("Delete regulator"),
            N_("Back to the regulator"),
        ),
        RegulatorUpdate,
        lambda s, data: regulators.create(s, data=data),
        lambda s, id, data, v: regulators.update(s, regulator_id=id, data=data, expected_version=v),
        lambda s, id: regulators.read(s, regulator_id=id, as_of=None),
        "web_regulator",
        {"kind": "regulator"},
    ),
    "organisations": Kind(
        "organisation",
        (
            N_("Edit organisation"),
            N_("Add an organisation"),
            N_("Delete organisation"),
            N_("Back to the organisation"),
        ),
        OrganisationUpdate,
        lambda s, data: organisations.create(s, data=data),
        lambda s, id, data, v: organisations.update(s, organisation_id=id, data=data, expected_version=v),
        lambda s, id: organisations.read(s, organisation_id=id, as_of=None),
        "web_organisation",
        {"kind": "company"},
    ),
    "cases": Kind(
        "case",
        (
            N_("Edit case"),
            N_("Add a case"),
            N_("Delete case"),
            N_("Back to the case"),
        ),
        CaseUpdate,
        lambda s, data: cases.create(s, data=data),
        lambda s, id, data, v: cases.update(s, case_id=id, data=data, expected_version=v),
        lambda s, id: cases.read(s, case_id=id, as_of=None),
        "web_case",
        {},
    ),
    "decisions": Kind(
        "decision",
        (
            N_("Edit decision"),
            N_("Add a decision"),
            N_("Delete decision"),
            N_("Back to the decision"),
        ),
        DecisionUpdate,
        lambda s, data: create_decision(s, data),
        lambda s, id, data, v: decision_edits.update(s, decision_id=id, data=data, expected_version=v),
        lambda s, id: decisions.read(s, decision_id=id, as_of=None),
        "web_decision",
        {},
    ),
    "recommendations": Kind(
        "recommendation",
        (
            N_("Edit recommendation"),
            N_("Add a recommendation"),
            N_("Delete recommendation"),
            N_("Back to the recommendation"),
        ),
        RecommendationUpdate,
        lambda s, data: recommendations.create(s, data=data),
        lambda s, id, data, v: recommendations.update(s, recommendation_id=id, data=data, expected_version=v),
        lambda s, id: recommendations.read(s, recommendation_id=id, as_of=None),
        "web_recommendation",
        {"kind": "recommendation"},
    ),
}


def create_decision(session: Session, data: DecisionCreate) -> Any:
    """The same act already recorded is refused (naming it); a near match is created, and its
    page says so."""
    decision, _ = decision_edits.create_screened(session, data=data)
    return decision


def page_url(request: Request, kind: Kind, record_id: int) -> str:
    param = f"{kind.name}_id"
    return str(request.url_for(kind.page, **{param: record_id}).path)


def expected_version(form: Any) -> tuple[int, bool]:
    """The version a post may overwrite, and whether it came back from a stale refusal
    without the override: the one the form was opened at, or, when the user ticked the box
    shown beside the differences, the version those differences were taken from."""
    seen = form.get("seen_version")
    if form.get("overwrite") == "on" and isinstance(seen, str) and seen.isdigit() and len(seen) < 19:
        return int(seen), False
    return form_version(form), isinstance(seen, str)


def form_version(form: Any) -> int:
    """The version the edit form was opened at; a missing or malformed one (0) never matches,
    so such a post is refused as stale rather than saved unchecked."""
    raw = form.get("version")
    if isinstance(raw, str) and raw.isdigit() and len(raw) < 19:
        return int(raw)
    return 0


def form_routes(
    router: APIRouter, path: str, show: Any, show_name: str, submit: Any, submit_name: str
) -> None:
    """A form page: GET shows it, POST submits it, at the same address."""
    router.add_api_route(path, show, methods=["GET"], response_class=HTMLResponse, name=show_name)
    router.add_api_route(path, submit, methods=["POST"], name=submit_name)
