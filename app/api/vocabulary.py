"""The vocabularies in words (`GET /vocabulary`): what a client shows for each code."""

import re
from enum import StrEnum

from fastapi import APIRouter, Response

from app import labels, language
from app.access import public
from app.api.common import READ
from app.api.idempotency import ApiRoute
from app.schemas.vocabulary import Language, Term, Vocabularies

router = APIRouter(route_class=ApiRoute, tags=["vocabulary"])


def vocabulary_name(enum: type[StrEnum]) -> str:
    """A vocabulary's name in the API: `DecisionKind` → `decision_kind`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum.__name__).lower()


def vocabularies() -> dict[str, list[Term]]:
    """Every vocabulary of app/vocab.py with labels, in the current language (app.language)."""
    found: dict[str, list[Term]] = {}
    for enum in labels.LABELS:
        found[vocabulary_name(enum)] = [
            Term(
                code=member.value,
                label=labels.label(member),
                explanation=labels.explanation(member) or None,
            )
            for member in enum
        ]
    return found


@router.get("/vocabulary", response_model=Vocabularies, responses=READ)
@public
def get_vocabulary(response: Response, lang: Language | None = None) -> Vocabularies:
    """Every vocabulary (statuses, compliance, standing, kinds, roles, the orders of the
    lists, …) with each code's `label` and `explanation` (null where it has none), in `lang`
    (`en` or `fr`; without it, the language of the `Accept-Language` header, else English).
    Codes stay codes everywhere else in the API."""
    chosen = lang or language.current()
    with language.speaking(chosen):
        answer = Vocabularies(language=chosen, vocabularies=vocabularies())  # type: ignore[arg-type]
    response.headers["Content-Language"] = chosen
    return answer
