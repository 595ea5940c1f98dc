"""Palmer penguins (Gorman, Williams & Fraser 2014), from the ``palmerpenguins`` package.

The data ship inside the package, so this works offline.  Species is kept as
hidden truth for evaluation only; it is never shown to a clustering method.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hepclust.errors import ConfigError

NUMERIC_FEATURES = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")


def load_penguins_features(
    features: Sequence[str], standardize: bool
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return ``X`` for the chosen numeric features, species codes ``y`` and species names.

    Rows with a missing value in any chosen feature are dropped (two birds in
    the original data).  With ``standardize`` each feature is scaled to zero
    mean and unit variance, so that distance-based methods do not see only
    body mass (grams) and ignore bill depth (millimetres).
    """
    from palmerpenguins import load_penguins

    unknown = [f for f in features if f not in NUMERIC_FEATURES]
    if unknown or len(features) == 0:
        raise ConfigError(
            "penguins.features", f"unknown feature(s) {unknown}; choose from {list(NUMERIC_FEATURES)}"
        )
    if len(set(features)) != len(features):
        raise ConfigError("penguins.features", f"features repeat: {list(features)}")
    frame = load_penguins().dropna(subset=list(features) + ["species"])
    x = frame[list(features)].to_numpy(dtype=float)
    species = sorted(frame["species"].unique())
    y = frame["species"].map({s: i for i, s in enumerate(species)}).to_numpy(dtype=np.int64)
    if standardize:
        x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x, y, species
