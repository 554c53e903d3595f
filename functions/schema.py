"""Request bodies checked against the schemas the OpenAPI document publishes (one source of truth).

A small validator for the JSON Schema subset those schemas use (``type``, ``enum``, ``properties``,
``required``, ``additionalProperties``, ``items``, ``minItems``, ``maxItems``, ``maxLength``,
``minLength``, ``pattern``, ``anyOf``, ``$ref`` to ``#/components/schemas/...``). The first fault is raised as
:class:`InvalidBody` naming the field (``options.language``), so the API answers 400, never 500.
"""

from __future__ import annotations

import re
from typing import Any

from functions.openapi import SCHEMAS

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,), "null": (type(None),),
    "integer": (int,), "number": (int, float),
}


class InvalidBody(ValueError):
    """The request body does not match its schema; ``field`` is the JSON path at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field or "(body)"


def _type_ok(value: Any, types: str | list[str]) -> bool:
    for t in [types] if isinstance(types, str) else types:
        if isinstance(value, _TYPES[t]) and not (t in ("integer", "number") and isinstance(value, bool)):
            return True
    return False


def check(value: Any, schema: dict[str, Any], where: str = "") -> None:
    """Raise :class:`InvalidBody` at the first place ``value`` breaks ``schema``."""
    if "$ref" in schema:
        check(value, SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]], where)
        return
    if "anyOf" in schema:
        faults = []
        for option in schema["anyOf"]:
            try:
                check(value, option, where)
                return
            except InvalidBody as e:
                faults.append(e)
        raise faults[0]
    if "type" in schema and not _type_ok(value, schema["type"]):
        kinds = schema["type"] if isinstance(schema["type"], str) else " or ".join(schema["type"])
        raise InvalidBody(where, f"must be {'an' if kinds[0] in 'aeiou' else 'a'} {kinds}")
    if "enum" in schema and value not in schema["enum"]:
        raise InvalidBody(where, f"must be one of {', '.join(map(str, schema['enum']))}")
    if isinstance(value, str):
        if len(value) > schema.get("maxLength", len(value)) or len(value) < schema.get("minLength", 0):
            raise InvalidBody(where, f"must be {schema.get('minLength', 0)} to {schema.get('maxLength')} characters")
        if "pattern" in schema and not re.fullmatch(schema["pattern"], value):
            raise InvalidBody(where, "is not in the expected form")
    if isinstance(value, list):
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
            raise InvalidBody(where, f"must have {schema.get('minItems', 0)} to {schema.get('maxItems')} items")
        for i, item in enumerate(value):
            check(item, schema.get("items", {}), f"{where}[{i}]")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                raise InvalidBody(f"{where}.{key}" if where else key, "is required")
        props = schema.get("properties", {})
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if key in props:
                check(item, props[key], path)
            elif schema.get("additionalProperties", True) is False:
                raise InvalidBody(path, "is not a known field")


def check_request(value: Any, schema_name: str) -> None:
    """Validate a request body against ``#/components/schemas/<schema_name>``."""
    check(value, SCHEMAS[schema_name])
