"""Model instances from values a loader has already checked, without pydantic's validation.

Validating every node and edge again costs as much as all the loader's own work at millions of
rows, and each loader enforces the model's rules as it reads (non-empty ids, finite quantities
>= 0, known kinds and units); tests compare these instances with validated ones.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound=BaseModel)

# The slots every pydantic model instance has, set directly: what ``model_construct`` does,
# at a fraction of its cost, since every field is given (no defaults to fill in).
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
_ALL_FIELDS: dict[type[BaseModel], set[str]] = {}
"""One shared "fields set" per model: it always holds every field, and pydantic only ever
adds field names to it (on assignment), so sharing it changes nothing observable."""


def unchecked(cls: type[ModelT], values: dict[str, Any]) -> ModelT:
    """``cls(**values)`` without validation, for values already known to be valid with every
    field given (``values`` becomes the instance's ``__dict__``)."""
    fields_set = _ALL_FIELDS.get(cls)
    if fields_set is None:
        fields_set = _ALL_FIELDS[cls] = set(cls.model_fields)
    instance = _new(cls)
    _set_dict(instance, values)
    _set_fields_set(instance, fields_set)
    _set_extra(instance, None)
    _set_private(instance, None)
    return instance
