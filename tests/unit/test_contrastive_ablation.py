"""The augmentation ablation: every variant really switches its augmentation off, and the table's arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from hepclust.contrastive.ablation import (NONE, OFF_BY_DEFAULT, SWITCH_OFF, changes_anything, summarise,
                                          train_params_without)
from hepclust.contrastive.augment import AugmentConfig, augment, log_charge
from hepclust.contrastive.study import train_config

SCHEMA = Path(__file__).resolve().parents[2] / "workflow/schemas/config.schema.yaml"


def test_all_variants_switched_off_together_leave_only_the_log_charge():
    params = {"n_clusters": 3, "augment": {"rotation_deg": 20.0}}
    for variant in SWITCH_OFF:
        params = train_params_without(params, variant)
    cfg = train_config(params, "contrastive.train.x").augment
    q = torch.rand(4, 1, 24, 16) * 5
    out = augment(q, cfg, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, log_charge(q), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("variant", sorted(set(SWITCH_OFF) - {NONE}))
def test_each_variant_changes_its_own_fields_and_keeps_the_rest(variant):
    configured = {"n_clusters": 3, "epochs": 2,
                  "augment": {"rotation_deg": 20.0, "translate": 0.05, "padding": "reflection"}}
    got = train_config(train_params_without(configured, variant), "k").augment
    full = train_config(configured, "k").augment
    changed = {f for f in AugmentConfig.__dataclass_fields__ if getattr(got, f) != getattr(full, f)}
    assert changed == {f for f, v in SWITCH_OFF[variant].items() if getattr(full, f) != (tuple(v) if isinstance(v, list) else v)}
    assert changed, f"{variant} switches nothing off in this config"
    # the caller's mapping is untouched
    assert configured["augment"] == {"rotation_deg": 20.0, "translate": 0.05, "padding": "reflection"}


def test_a_variant_whose_augmentation_is_already_off_is_skipped_unset_fields_read_as_their_defaults():
    digits = {"augment": {"flip_x": False, "flip_y": False}}  # no mirrors; padding unset: zeros by default
    lartpc = {"augment": {"translate": 0.2, "padding": "reflection"}}
    assert not changes_anything(digits, "mirrors") and not changes_anything(digits, "reflection")
    assert changes_anything(digits, "rotation") and changes_anything(digits, NONE)
    assert changes_anything(lartpc, "reflection") and changes_anything(lartpc, "mirrors")
    assert not changes_anything({"augment": {"padding": "zeros"}}, "reflection")


def test_the_defaults_the_ablation_assumes_are_augment_configs_own():
    """ablation.py spells AugmentConfig's off-by-default fields out (it must not import torch at parse time)."""
    for field, value in OFF_BY_DEFAULT.items():
        assert getattr(AugmentConfig(), field) == value, field
    # every other field a variant switches off is on by default
    for variant, fields in SWITCH_OFF.items():
        for field, off in fields.items():
            if field not in OFF_BY_DEFAULT:
                off = tuple(off) if isinstance(off, list) else off
                assert getattr(AugmentConfig(), field) != off, (variant, field)


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="unknown ablation variant 'crop'"):
        train_params_without({}, "crop")


def test_schema_lists_exactly_the_variants_the_code_knows():
    schema = yaml.safe_load(SCHEMA.read_text())
    variants = schema["properties"]["contrastive"]["properties"]["ablation"]["properties"]["variants"]
    assert set(variants["items"]["enum"]) == set(SWITCH_OFF) == set(variants["default"])


def test_summary_is_the_median_over_seeds_and_the_change_against_the_full_set():
    rows = pd.DataFrame([
        {"imageset": "a", "augmentation_off": off, "method": m, "uses_labels": False, "seed": seed,
         "hungarian_accuracy": acc, "nmi": 0.5, "ari": 0.4}
        for off, m, seed, acc in [(NONE, "c", 1, 0.6), (NONE, "c", 2, 0.7), (NONE, "c", 3, 0.8),
                                  ("blocks", "c", 1, 0.9), ("blocks", "c", 2, 0.75), ("blocks", "c", 3, 0.85),
                                  (NONE, "k", 1, 0.5), ("blocks", "k", 1, 0.4)]])
    s = summarise(rows).set_index(["augmentation_off", "method"])
    assert s.loc[(NONE, "c"), "hungarian_accuracy"] == pytest.approx(0.7)
    assert s.loc[("blocks", "c"), "hungarian_accuracy"] == pytest.approx(0.85)
    assert s.loc[("blocks", "c"), "hungarian_accuracy_change"] == pytest.approx(0.15)
    assert s.loc[("blocks", "k"), "hungarian_accuracy_change"] == pytest.approx(-0.1)
    assert s.loc[(NONE, "c"), "n_seeds"] == 3 and s.loc[(NONE, "c"), "hungarian_accuracy_change"] == 0
    assert np.isfinite(s["hungarian_accuracy_change"]).all()


def test_a_variant_the_set_already_has_off_is_not_retrained():
    from hepclust.contrastive.rules import ablation_inputs

    contrastive = {"imagesets": ["lartpc", "digits"],
                   "train": {"lartpc": {"epochs": 2},
                             "digits": {"augment": {"flip_x": False, "flip_y": False, "large_blocks": [0, 4]}}},
                   "ablation": {"seeds": [7], "variants": ["none", "mirrors", "blocks"]}}
    got = ablation_inputs(contrastive)
    assert got == ["results/contrastive/retrained/lartpc/none_seed_7.csv",
                   "results/contrastive/retrained/lartpc/mirrors_seed_7.csv",
                   "results/contrastive/retrained/lartpc/blocks_seed_7.csv",
                   "results/contrastive/retrained/digits/none_seed_7.csv",
                   "results/contrastive/retrained/digits/blocks_seed_7.csv"]
