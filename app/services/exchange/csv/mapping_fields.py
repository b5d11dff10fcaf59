"""The fields a mapping file may give, section by section, derived from the API's schemas
(app/schemas/): a field added to a schema is a mapping field at once, required where the
schema requires it, read as a date, a list or a vocabulary's value as its type says."""

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from app.schemas.decision import DecisionCreate, DecisionScalars
from app.schemas.fields import is_list, is_mapping, part_model, value_type, vocabulary
from app.schemas.organisation import OrganisationCreate
from app.schemas.recommendation import AssessmentCreate, RecommendationCreate
from app.schemas.regulator import RegulatorCreate
from app.vocab import OrganisationRole, RegulatorRole

# The sections of a mapping and the schema each section's rows are checked with.
SCHEMAS: dict[str, type[BaseModel]] = {
    "decision": DecisionScalars,
    "regulator": RegulatorCreate,
    "organisation": OrganisationCreate,
    "recommendation": RecommendationCreate,
    "assessment": AssessmentCreate,
    # The parties that made each recommendation (app/services/exchange/csv/folding.py).
    "recommended_by": OrganisationCreate,
}
# Schema fields a CSV does not give (ids of records; the organisation's aliases, which the
# mapping sets in its own table, and the day it joined its parent; an assessment's page of an
# archived copy, which a CSV cannot name; a recommendation's `recommended_by`, read from its own
# section), and the fields a mapping adds: a decision's sources (each a URL), lists of the
# decision's schema, and the roles of its regulator and organisations.
# (Nor an amount paid: a CSV's recommendations are its own, and an amount paid is said only of
# the payment obligation a penalty makes, through the API or the pages.)
NOT_MAPPED = {"aliases", "parent_since", "source_page", "amount_paid", "recommended_by"}
EXTRA_FIELDS: dict[str, dict[str, Any]] = {
    "decision": {
        "provisions": DecisionCreate.model_fields["provisions"].annotation,
        "tags": DecisionCreate.model_fields["tags"].annotation,
        "sources": list[str],
        "regulator_role": RegulatorRole,
        "organisation_role": OrganisationRole,
    }
}


def _field_types(section: str) -> dict[str, tuple[Any, bool]]:
    """Each mapped field of a section: (its annotation, whether a row must give it)."""
    schema = SCHEMAS[section]
    out = {
        name: (info.annotation, info.is_required())
        for name, info in schema.model_fields.items()
        if not name.endswith("_id")
        and name not in NOT_MAPPED
        and part_model(info.annotation) is None
        and not is_mapping(info.annotation)  # translations: a CSV row holds one language
    }
    return out | {name: (annotation, False) for name, annotation in EXTRA_FIELDS.get(section, {}).items()}


FIELD_TYPES = {section: _field_types(section) for section in SCHEMAS}
# The fields of each section, and which must be given.
FIELDS: dict[str, dict[str, bool]] = {
    section: {name: required for name, (_, required) in types_.items()}
    for section, types_ in FIELD_TYPES.items()
}
# Fields whose values come from a vocabulary: `classify` and `map` values are checked against
# it when the mapping is read.
VOCABULARIES: dict[tuple[str, str], type[StrEnum]] = {
    (section, name): enum
    for section, types_ in FIELD_TYPES.items()
    for name, (annotation, _) in types_.items()
    if (enum := vocabulary(annotation)) is not None
}
DATE_FIELDS = {
    name for types_ in FIELD_TYPES.values() for name, (a, _) in types_.items() if value_type(a) is dt.date
}
LIST_FIELDS = {name for types_ in FIELD_TYPES.values() for name, (a, _) in types_.items() if is_list(a)}
