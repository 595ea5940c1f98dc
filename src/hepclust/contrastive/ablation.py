"""Augmentation ablation: the clusterer retrained with one augmentation switched off at a time.

Contrastive learning makes the encoder invariant to whatever the augmentations change.  An augmentation
that destroys what tells two classes apart (a zeroed block over a Michel electron, a crop that cuts a
track's end) teaches the network to ignore exactly that, so each one has to earn its place by measurement:
a variant scores every seed of ``contrastive.ablation`` with one augmentation off, everything else as
configured, and the table shows what the clusterer gains or loses against the full set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas only for the summary: the rule files import this module at parse time
    import pandas as pd

NONE = "none"  # the configured augmentation, nothing switched off: the row every variant is compared with

# variant name -> the AugmentConfig fields that switch that augmentation off
SWITCH_OFF: dict[str, dict[str, Any]] = {
    NONE: {},
    "mirrors": {"flip_x": False, "flip_y": False},
    "rotation": {"rotation_deg": 0.0},
    "shear": {"shear": 0.0},
    "scale": {"scale": 0.0},
    "translate": {"translate": 0.0},
    "grid_distortion": {"grid_distortion": 0.0},
    "blocks": {"large_blocks": [0, 0], "small_blocks": [0, 0]},
    "charge_scale": {"charge_scale": 0.0, "log_scale": 0.0},
    "reflection": {"padding": "zeros"},  # shifted views show empty margins again
}
# fields whose AugmentConfig default is already the switched-off value (every other default is on)
OFF_BY_DEFAULT: dict[str, Any] = {"padding": "zeros"}


def train_params_without(train_params: Mapping[str, Any], variant: str) -> dict[str, Any]:
    """The image set's training parameters with ``variant``'s augmentation switched off."""
    if variant not in SWITCH_OFF:
        raise ValueError(f"unknown ablation variant {variant!r}; choose from {sorted(SWITCH_OFF)}")
    return {**train_params, "augment": {**train_params.get("augment", {}), **SWITCH_OFF[variant]}}


def changes_anything(train_params: Mapping[str, Any], variant: str) -> bool:
    """False where the image set's configured augmentation already has ``variant`` off (the digits have no
    mirrors, no reflection padding): that run would repeat ``none``.  Unset fields take AugmentConfig's
    defaults, which are on except those of :data:`OFF_BY_DEFAULT`."""
    configured = train_params.get("augment", {})

    def differs(k: str, off: Any) -> bool:
        if k in configured:
            return list_of(configured[k]) != list_of(off)
        return k not in OFF_BY_DEFAULT or OFF_BY_DEFAULT[k] != off

    return variant == NONE or any(differs(k, v) for k, v in SWITCH_OFF[variant].items())


def list_of(value: Any) -> Any:
    """YAML gives lists where the dataclass has tuples: compare them as lists."""
    return list(value) if isinstance(value, (list, tuple)) else value


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Median over seeds of each (image set, switched-off augmentation, method), and the change in the
    median Hungarian accuracy against the full augmentation set (``none``) of the same image set and method."""
    scores = ["hungarian_accuracy", "nmi", "ari"]
    keys = ["imageset", "augmentation_off", "method", "uses_labels"]
    summary = rows.groupby(keys, sort=False)[scores].median()
    summary.insert(0, "n_seeds", rows.groupby(keys, sort=False).size())
    summary = summary.reset_index()
    full = summary[summary["augmentation_off"] == NONE].set_index(["imageset", "method"])["hungarian_accuracy"]
    ref = [full.get((s, m), float("nan")) for s, m in zip(summary["imageset"], summary["method"])]
    summary["hungarian_accuracy_change"] = summary["hungarian_accuracy"] - ref
    return summary
