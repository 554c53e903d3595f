"""Shared helpers for the infrastructure tests: parse Bicep with pycep, unwrap loops/conditions."""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, cast

REPO = Path(__file__).resolve().parents[2]
BICEP_DIR = REPO / "infra" / "bicep"
MODULES = BICEP_DIR / "modules"


def bicep_files() -> list[Path]:
    return sorted(BICEP_DIR.rglob("*.bicep"))


@functools.cache
def parse(rel: str) -> dict[str, Any]:
    from pycep import BicepParser

    return cast(dict[str, Any], BicepParser().parse(file_path=BICEP_DIR / rel))


def unwrap(config: dict[str, Any]) -> dict[str, Any]:
    """Strip pycep's loop / deploy-condition wrappers and return the resource body."""
    while isinstance(config, dict) and "config" in config and ("loop_type" in config or "condition" in config):
        config = config["config"]
    return config


def resource(rel: str, symbol: str) -> dict[str, Any]:
    tree = parse(rel)
    assert symbol in tree["resources"], f"{rel}: resource {symbol} missing"
    return unwrap(tree["resources"][symbol]["config"])


def resources_of_type(rel: str, rtype: str) -> dict[str, dict[str, Any]]:
    return {
        name: r
        for name, r in parse(rel)["resources"].items()
        if r["type"].lower() == rtype.lower() and not r.get("existing")
    }


def param_default(rel: str, name: str) -> Any:
    params = parse(rel)["parameters"]
    assert name in params, f"{rel}: parameter {name} missing"
    return params[name].get("default")


def allowed(rel: str, name: str) -> list[Any]:
    for deco in parse(rel)["parameters"][name]["decorators"]:
        if deco["type"] == "allowed":
            return deco["argument"]
    return []


def resolve(rel: str, value: Any) -> Any:
    """A bare identifier that names a parameter resolves to that parameter's default."""
    params = parse(rel)["parameters"]
    if isinstance(value, str) and value in params:
        return params[value].get("default")
    return value


def dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
