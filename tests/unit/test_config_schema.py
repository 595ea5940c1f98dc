"""Every key of the config schema: a wrong type, and an out-of-range value where the schema bounds it,
fails validation with a message that names the key (the same validate() the Snakefile calls first)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO / "workflow/schemas/config.schema.yaml"
SCHEMA = yaml.safe_load(SCHEMA_PATH.read_text())
DEFAULT = yaml.safe_load((REPO / "config/config.yaml").read_text())


def _resolve(node: dict) -> dict:
    if "$ref" in node:
        return _resolve(SCHEMA["$defs"][node["$ref"].split("/")[-1]])
    return node


def _leaves(node: dict, path: tuple = ()):
    """(path, schema) of every leaf key; free-form mappings (methods, processes) are left to other tests."""
    node = _resolve(node)
    props = node.get("properties")
    if node.get("type") == "object" and props:
        for key, sub in props.items():
            yield from _leaves(sub, path + (key,))
    elif path:
        yield path, node


def _bad_values(schema: dict):
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    yield "wrong type", ({"not": "valid"} if "string" in types or "enum" in schema else "not-a-valid-value")
    if "minimum" in schema:
        yield "below minimum", schema["minimum"] - 1
    if "exclusiveMinimum" in schema:
        yield "at exclusive minimum", schema["exclusiveMinimum"]
    if "maximum" in schema:
        yield "above maximum", schema["maximum"] + 1


def _set(cfg: dict, path: tuple, value) -> dict:
    node = cfg
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return cfg


CASES = [(path, why, value) for path, schema in _leaves(SCHEMA) for why, value in _bad_values(schema)]


def test_the_default_config_is_valid_and_every_key_is_covered():
    validate(copy.deepcopy(DEFAULT), str(SCHEMA_PATH))
    keys = {path for path, _, _ in CASES}
    assert len(keys) >= 80, len(keys)
    assert ("contrastive", "train", "digits", "augment", "rotation_deg") in keys


@pytest.mark.parametrize("path, why, value", CASES, ids=[f"{'.'.join(p)}:{w}" for p, w, _ in CASES])
def test_bad_value_is_rejected_naming_the_key(path, why, value):
    cfg = _set(copy.deepcopy(DEFAULT), path, value)
    with pytest.raises(WorkflowError) as err:
        validate(cfg, str(SCHEMA_PATH))
    where = "".join(f"['{k}']" for k in path)
    assert where in str(err.value), str(err.value)[:600]
