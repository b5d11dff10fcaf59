"""How the places that derive their fields from the schemas read a schema's fields.

The schemas declare each entity's fields once; the record export (app/services/exchange/record_import.py),
the CSV import's mapping fields (app/services/exchange/csv/mapping.py), the CSV export's columns
(app/services/reporting/csv_export.py) and the edit forms (app/web/forms.py) walk them with these
helpers, so a plain field added to a schema reaches them all.
"""

import types
import typing
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


def _bare(annotation: Any) -> Any:
    """The annotation without `Annotated[...]` and without `| None`."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def part_model(annotation: Any) -> type[BaseModel] | None:
    """The model of a list of parts (`list[FindingIn]`), else None."""
    annotation = _bare(annotation)
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is list and args and isinstance(args[0], type):
        return args[0] if issubclass(args[0], BaseModel) else None
    return None


def is_list(annotation: Any) -> bool:
    """A list of plain values (`list[Tag]`) or of parts."""
    return typing.get_origin(_bare(annotation)) is list


def value_type(annotation: Any) -> Any:
    """The type of a plain field's value (`dt.date`, `str`, an enum), `| None` and its
    constraints left aside."""
    return _bare(annotation)


def vocabulary(annotation: Any) -> type[StrEnum] | None:
    """The enum a field's values come from, if any."""
    bare = _bare(annotation)
    return bare if isinstance(bare, type) and issubclass(bare, StrEnum) else None


def is_mapping(annotation: Any) -> bool:
    """A mapping (`translations`, by language): neither a plain value nor a list of parts."""
    return typing.get_origin(_bare(annotation)) is dict


def plain_fields(model: type[BaseModel]) -> list[str]:
    """The fields that are neither lists nor parts, in the model's order."""
    return [
        name
        for name, info in model.model_fields.items()
        if not is_list(info.annotation) and not is_mapping(info.annotation)
    ]


def own_fields(model: type[BaseModel]) -> list[str]:
    """The fields a user types for the record itself: all but the lists of parts (which have
    their own rows or tables) and the mappings (translations, which have their own fieldset),
    in the model's order."""
    return [
        name
        for name, info in model.model_fields.items()
        if part_model(info.annotation) is None and not is_mapping(info.annotation)
    ]
