"""The instance format as a JSON Schema, generated from the pydantic models.

Shipped as ``docs/instance.schema.json`` (``optimizer schema`` prints it; a test checks
that the shipped file equals this output), so editors can validate and complete YAML.
"""

from __future__ import annotations

import json
from typing import Any

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def instance_json_schema() -> dict[str, Any]:
    """The JSON Schema of an instance file (YAML or JSON), keys in a stable order."""
    from optimizer.instance.schema import Instance

    schema = Instance.model_json_schema()
    _add_elasticity_menu(schema)
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "optimizer instance",
        "description": (
            "A planning instance of optimizer (docs/format.md): site caps, hardware, "
            "token tiers and frontier table. Cross-key checks (ids unique, per-period "
            "mappings covering every period) are made by `optimizer solve`, not here."
        ),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def _add_elasticity_menu(schema: dict[str, Any]) -> None:
    """``price_menu`` may also be a constant-elasticity spec, expanded when the file loads
    (:mod:`optimizer.instance.menus`); pydantic only sees the expanded list, so the
    alternative is added here."""
    number_or_map = {
        "anyOf": [
            {"type": "number"},
            {"type": "object", "additionalProperties": {"type": "number"}},
        ]
    }
    spec = {
        "type": "object",
        "title": "ElasticityMenu",
        "description": "A price menu from a constant-elasticity demand curve through a "
        "reference point; give prices_usd_per_mtok or price_multipliers.",
        "additionalProperties": False,
        "required": ["reference_price_usd_per_mtok", "reference_demand_mtok", "elasticity"],
        "properties": {
            "reference_price_usd_per_mtok": number_or_map,
            "reference_demand_mtok": number_or_map,
            "elasticity": {"type": "number", "exclusiveMaximum": 0},
            "prices_usd_per_mtok": {"type": "array", "items": {"type": "number"}},
            "price_multipliers": {"type": "array", "items": {"type": "number"}},
        },
    }
    menu = schema.get("$defs", {}).get("Tier", {}).get("properties", {}).get("price_menu")
    if menu is not None and "anyOf" in menu:
        menu["anyOf"].insert(1, spec)


def instance_json_schema_text() -> str:
    """:func:`instance_json_schema` as the text of docs/instance.schema.json."""
    return json.dumps(instance_json_schema(), indent=2, sort_keys=False) + "\n"
