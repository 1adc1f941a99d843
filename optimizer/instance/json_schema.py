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
    """``price_menu`` may also be a demand-curve spec (constant elasticity, linear, logistic),
    expanded when the file loads (:mod:`optimizer.instance.menus`); pydantic only sees the
    expanded list, so the alternatives are added here."""
    number_or_map = {
        "anyOf": [
            {"type": "number"},
            {"type": "object", "additionalProperties": {"type": "number"}},
        ]
    }
    grid = {
        "prices_usd_per_mtok": {"type": "array", "items": {"type": "number"}},
        "price_multipliers": {"type": "array", "items": {"type": "number"}},
        "source": {"type": "string", "description": "Where the figures come from."},
    }
    reference = {
        "reference_price_usd_per_mtok": number_or_map,
        "reference_demand_mtok": number_or_map,
    }
    elasticity = {
        "type": "object",
        "title": "ElasticityMenu",
        "description": "A price menu from a constant-elasticity demand curve through a "
        "reference point; give prices_usd_per_mtok or price_multipliers.",
        "additionalProperties": False,
        "required": ["reference_price_usd_per_mtok", "reference_demand_mtok", "elasticity"],
        "properties": {
            "curve": {"const": "constant_elasticity"},
            **reference,
            "elasticity": {"type": "number", "exclusiveMaximum": 0},
            **grid,
        },
    }
    linear = {
        "type": "object",
        "title": "LinearDemandMenu",
        "description": "A price menu from a linear demand curve through a reference point, "
        "from market_size_mtok at price 0 to zero at choke_price_usd_per_mtok; give one of "
        "the two (the reference point fixes the other) or both (they must agree with it "
        "within 1%), and prices_usd_per_mtok or price_multipliers.",
        "additionalProperties": False,
        "required": ["curve", "reference_price_usd_per_mtok", "reference_demand_mtok"],
        "properties": {
            "curve": {"const": "linear"},
            **reference,
            "choke_price_usd_per_mtok": number_or_map,
            "market_size_mtok": number_or_map,
            **grid,
        },
    }
    logistic = {
        "type": "object",
        "title": "LogisticDemandMenu",
        "description": "A price menu from a logistic demand curve M / (1 + exp((X - X_mid) / "
        "s)) through a reference point, saturating at market_size_mtok; give one of "
        "steepness_usd_per_mtok, midpoint_price_usd_per_mtok and choke_price_usd_per_mtok "
        "(demand 1% of the market; the reference point fixes the rest) and "
        "prices_usd_per_mtok or price_multipliers.",
        "additionalProperties": False,
        "required": [
            "curve",
            "reference_price_usd_per_mtok",
            "reference_demand_mtok",
            "market_size_mtok",
        ],
        "properties": {
            "curve": {"const": "logistic"},
            **reference,
            "market_size_mtok": number_or_map,
            "steepness_usd_per_mtok": number_or_map,
            "midpoint_price_usd_per_mtok": number_or_map,
            "choke_price_usd_per_mtok": number_or_map,
            **grid,
        },
    }
    menu = schema.get("$defs", {}).get("Tier", {}).get("properties", {}).get("price_menu")
    if menu is not None and "anyOf" in menu:
        menu["anyOf"][1:1] = [elasticity, linear, logistic]


def instance_json_schema_text() -> str:
    """:func:`instance_json_schema` as the text of docs/instance.schema.json."""
    return json.dumps(instance_json_schema(), indent=2, sort_keys=False) + "\n"
