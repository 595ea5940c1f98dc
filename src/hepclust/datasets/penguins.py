"""Palmer penguins (Gorman, Williams & Fraser 2014), from the ``palmerpenguins`` package.

The data ship inside the package, so this works offline.  Species is kept as
hidden truth for evaluation only; it is never shown to a clustering method.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NUMERIC_FEATURES = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")


def feature_label(feature: str, standardized: bool) -> str:
    """Axis label of a feature: ``bill length [mm]``, or ``bill length (standardised)`` once scaled."""
    *words, unit = feature.split("_")
    name = " ".join(words)
    return f"{name} (standardised)" if standardized else f"{name} [{unit}]"


def load_penguins_features(
    features: Sequence[str], standardize: bool
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return ``X`` for the chosen numeric features, species codes ``y`` and species names.

    Rows with a missing value in any chosen feature are dropped (two birds in
    the original data).  With ``standardize`` each feature is scaled to zero
    mean and unit variance, so that distance-based methods do not see only
    body mass (grams) and ignore bill depth (millimetres).  ``features`` are
    names from :data:`NUMERIC_FEATURES` (the config schema enumerates them).
    """
    from palmerpenguins import load_penguins

    frame = load_penguins().dropna(subset=list(features) + ["species"])
    x = frame[list(features)].to_numpy(dtype=float)
    species = sorted(frame["species"].unique())
    y = frame["species"].map({s: i for i, s in enumerate(species)}).to_numpy(dtype=np.int64)
    if standardize:
        x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x, y, species
