"""The classical study's dataset files: the Gaussian-mixture toy and the Palmer penguins.

One file kind for both (``clustering_dataset``): features ``x``, the hidden
truth ``y_true``, and as attributes the feature and class names a figure needs.
The loaders themselves live in :mod:`hepclust.datasets`; this module only turns
their arrays into files with provenance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hepclust.datasets.penguins import feature_label, load_penguins_features
from hepclust.datasets.toy import make_gaussian_mixture
from hepclust.io import json_attr, read_h5, write_h5

DATASET_KIND = "clustering_dataset"


def write_toy_dataset(out: str, components: Sequence[Mapping[str, Any]], seed: int) -> None:
    x, y = make_gaussian_mixture(components, seed)
    names = [f"x{i}" for i in range(x.shape[1])]
    write_h5(out, DATASET_KIND, {"x": x, "y_true": y}, {"components": list(components), "seed": seed},
             {"name": "toy", "feature_names": names, "feature_labels": [f"{n} [arb. units]" for n in names],
              "class_names": [f"component {i}" for i in range(len(components))]})


def write_penguins_dataset(out: str, features: Sequence[str], standardize: bool) -> None:
    x, y, species = load_penguins_features(features, standardize)
    write_h5(out, DATASET_KIND, {"x": x, "y_true": y}, {"features": list(features), "standardize": standardize},
             {"name": "penguins", "feature_names": list(features),
              "feature_labels": [feature_label(f, standardize) for f in features], "class_names": species})


def read_dataset(path: str) -> dict[str, Any]:
    """Features, truth, feature names, axis labels with units, class names."""
    data, attrs = read_h5(path, DATASET_KIND, required=("x", "y_true"))
    return {"x": data["x"], "y_true": data["y_true"], "feature_names": json_attr(attrs, "feature_names"),
            "feature_labels": json_attr(attrs, "feature_labels"), "class_names": json_attr(attrs, "class_names"),
            "name": attrs["name"]}
