"""Records in their own language: a decision's `language` and the translations of its title,
summary and recommendations' text (DESIGN.md, "Languages").

A language is an ISO 639 code (`fr`, `en`, `de`; two or three lower-case letters) that the
Unicode CLDR names, so that a page can say "translated from French". A translation is never
in the record's own language: the original stays where it is (`title`, `summary`, `text`).
"""

from typing import Annotated, Any

from babel import Locale
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from app.schemas.common import InputModel, LongText, OutputModel, Title

# The languages CLDR names (in English), without regional variants (`en_CA`): a code outside
# them is a typing mistake or a code of another standard.
KNOWN = frozenset(str(code) for code in Locale("en").languages if "_" not in str(code))

ENGLISH = "en"


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _known(value: Any) -> str:
    if not isinstance(value, str) or value not in KNOWN:
        raise PydanticCustomError("language", "is not a language code (ISO 639, such as fr or en)")
    return value


# The schema names the codes: a pattern would let a client send `xx`, which is refused.
Language = Annotated[
    str,
    BeforeValidator(_lower),
    AfterValidator(_known),
    WithJsonSchema({"type": "string", "enum": sorted(KNOWN), "description": "An ISO 639 code, e.g. `fr`."}),
]

LANGUAGE = (
    "The language it was issued in (ISO 639, e.g. `en`, `fr`): its `title`, `summary` and its "
    "recommendations' `text` are in it."
)
DECISION_TRANSLATIONS = (
    'Its title and summary in other languages, by language: `{"fr": {"title": "...", '
    '"summary": "..."}}`; never its own language. Sent whole on an update (replaces the old ones).'
)
RECOMMENDATION_TRANSLATIONS = (
    'Its text in other languages than its decision\'s, by language: `{"fr": {"text": "..."}}`. '
    "Sent whole on an update (replaces the old ones)."
)
MAX_TRANSLATIONS = 20


class DecisionTranslationIn(InputModel):
    title: Title
    summary: LongText | None = None


class DecisionTranslation(OutputModel):
    title: str
    summary: str | None = None


class RecommendationTranslationIn(InputModel):
    text: LongText


class RecommendationTranslation(OutputModel):
    text: str


def _in_code_order(value: dict[str, Any]) -> dict[str, Any]:
    """Translations by language in code order, however sent (the column keeps that order too:
    app/models/base.py, `Translations`)."""
    return {code: value[code] for code in sorted(value)}


DecisionTranslationsIn = Annotated[
    dict[Language, DecisionTranslationIn],
    AfterValidator(_in_code_order),
    Field(max_length=MAX_TRANSLATIONS, description=DECISION_TRANSLATIONS),
]
RecommendationTranslationsIn = Annotated[
    dict[Language, RecommendationTranslationIn],
    AfterValidator(_in_code_order),
    Field(max_length=MAX_TRANSLATIONS, description=RECOMMENDATION_TRANSLATIONS),
]
DecisionTranslations = Annotated[dict[str, DecisionTranslation], Field(description=DECISION_TRANSLATIONS)]
RecommendationTranslations = Annotated[
    dict[str, RecommendationTranslation], Field(description=RECOMMENDATION_TRANSLATIONS)
]


def own_language_translated(language: str | None, translations: dict[str, Any] | None) -> str | None:
    """The key of a translation into the record's own language, if any (refused: the
    original is the record's own text)."""
    if language is None or not translations:
        return None
    return language if language in translations else None


def language_name(code: str, in_language: str = ENGLISH) -> str:
    """A language's name in a reader's language ("French", "français"); the code where CLDR
    has no name for it."""
    try:
        names = Locale.parse(in_language).languages
    except (ValueError, TypeError):
        names = Locale(ENGLISH).languages
    return str(names.get(code, code))
