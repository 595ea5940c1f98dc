"""The classical clustering study, step by step, as the workflow's rules run it.

Each function is one rule's worth of work: read validated inputs, compute,
write outputs atomically.  Scripts in ``scripts/`` only unpack Snakemake's
``input``/``params``/``output`` and call these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hepclust import classical, importance, metrics, selection
from hepclust.datasets.penguins import load_penguins_features
from hepclust.datasets.toy import make_gaussian_mixture
from hepclust.errors import InputError
from hepclust.io import json_attr, read_h5, write_h5

DATASET_KIND = "clustering_dataset"
RESULT_KIND = "clustering_result"


def write_toy_dataset(out: str, components: Sequence[Mapping[str, Any]], seed: int) -> None:
    x, y = make_gaussian_mixture(components, seed)
    names = [f"x{i}" for i in range(x.shape[1])]
    write_h5(out, DATASET_KIND, {"x": x, "y_true": y}, {"components": list(components), "seed": seed},
             {"name": "toy", "feature_names": names, "class_names": [f"component {i}" for i in range(len(components))]})


def write_penguins_dataset(out: str, features: Sequence[str], standardize: bool) -> None:
    x, y, species = load_penguins_features(features, standardize)
    write_h5(out, DATASET_KIND, {"x": x, "y_true": y}, {"features": list(features), "standardize": standardize},
             {"name": "penguins", "feature_names": list(features), "class_names": species})


def read_dataset(path: str) -> dict[str, Any]:
    data, attrs = read_h5(path, DATASET_KIND, required=("x", "y_true"))
    return {"x": data["x"], "y_true": data["y_true"], "feature_names": json_attr(attrs, "feature_names"),
            "class_names": json_attr(attrs, "class_names"), "name": attrs["name"]}


def run_method(
    dataset_path: str, out: str, method: str, entry: Mapping[str, Any], seed: int, n_repeats: int, n_grid: int
) -> None:
    """Fit one method on one dataset; store labels, soft memberships, centres, regions, importance."""
    d = read_dataset(dataset_path)
    params = classical.method_params(entry, d["name"])
    key = f"classical.methods.{method}"
    res = classical.fit_cluster(entry["estimator"], params, d["x"], seed, key, source=dataset_path)
    imp = importance.permutation_importance(res.model, d["x"], res.labels, n_repeats, seed)
    arrays: dict[str, np.ndarray] = {"labels": res.labels, "importance_mean": imp.mean, "importance_std": imp.std}
    if res.soft is not None:
        arrays["soft"] = res.soft
    if res.centers is not None:
        arrays["centers"] = res.centers
    regions = classical.decision_regions(res.model, d["x"], n_grid)
    if regions is not None:
        arrays.update(regions)
    n_found = int(np.unique(res.labels[res.labels >= 0]).size)
    write_h5(out, RESULT_KIND, arrays,
             {"estimator": entry["estimator"], "params": params, "seed": seed, "importance_repeats": n_repeats},
             {"method": method, "dataset": d["name"], "fit_time_s": res.fit_time_s, "n_clusters_found": n_found,
              "noise_fraction": float(np.mean(res.labels < 0)), "via_surrogate": imp.via_surrogate,
              "surrogate_fidelity": imp.surrogate_fidelity})


def read_result(path: str) -> dict[str, Any]:
    data, attrs = read_h5(path, RESULT_KIND, required=("labels",))
    return {**data, **attrs}


def evaluate(dataset_path: str, result_paths: Mapping[str, str]) -> dict[str, Any]:
    """All per-method scores of one dataset, as tables plus the matrices/curves for figures."""
    d = read_dataset(dataset_path)
    y = d["y_true"]
    rows, per_class_rows, confusions, rocs = [], [], {}, {}
    for method, path in result_paths.items():
        r = read_result(path)
        labels = r["labels"]
        if labels.shape != y.shape:
            raise InputError(path, f"{labels.size} labels for {y.size} points in {dataset_path}")
        row: dict[str, Any] = {"method": method, "estimator": r["params"]["estimator"],
                               "n_clusters": r["n_clusters_found"], "noise_fraction": r["noise_fraction"]}
        row.update(metrics.external_scores(y, labels))
        row.update(metrics.internal_scores(d["x"], labels))
        roc = metrics.roc_from_soft(y, labels, r["soft"]) if "soft" in r else {}
        row["roc_auc_macro"] = float(np.mean([a for _, _, a in roc.values()])) if roc else float("nan")
        row["fit_time_s"] = r["fit_time_s"]
        rows.append(row)
        for k, s in metrics.per_class_scores(y, labels).items():
            per_class_rows.append({"method": method, "class": d["class_names"][k], **s,
                                   "roc_auc": roc[k][2] if k in roc else float("nan")})
        confusions[method] = metrics.matched_confusion(y, labels)
        if roc:
            rocs[method] = roc
    return {"metrics": pd.DataFrame(rows), "per_class": pd.DataFrame(per_class_rows), "confusions": confusions,
            "rocs": rocs, "class_names": d["class_names"]}


def importance_table(dataset_path: str, result_paths: Mapping[str, str]) -> pd.DataFrame:
    d = read_dataset(dataset_path)
    rows = []
    for method, path in result_paths.items():
        r = read_result(path)
        for j, feat in enumerate(d["feature_names"]):
            rows.append({"method": method, "feature": feat, "importance_mean": r["importance_mean"][j],
                         "importance_std": r["importance_std"][j], "via_surrogate": bool(r["via_surrogate"]),
                         "surrogate_fidelity": r["surrogate_fidelity"]})
    return pd.DataFrame(rows)


def k_selection(dataset_path: str, k_min: int, k_max: int, n_references: int, seed: int
                ) -> tuple[pd.DataFrame, dict[str, int]]:
    d = read_dataset(dataset_path)
    scan = selection.k_scan(d["x"], k_min, k_max, n_references, seed)
    return scan, selection.choose_k(scan)



def penguins_all_features_embedding(perplexity: float, n_neighbors: int, seed: int) -> dict[str, Any]:
    """t-SNE and UMAP of the penguins with all four (standardised) features, with GMM(3) clusters."""
    from hepclust import embed
    from hepclust.datasets.penguins import NUMERIC_FEATURES

    x, y, species = load_penguins_features(list(NUMERIC_FEATURES), standardize=True)
    res = classical.fit_cluster("gmm", {"n_components": 3, "n_init": 5}, x, seed, "penguins embedding")
    return {"coords": {"t-SNE": embed.tsne(x, perplexity, seed), "UMAP": embed.umap2d(x, n_neighbors, seed)},
            "labels": y, "cluster": res.labels, "class_names": species,
            "ari": metrics.external_scores(y, res.labels)["ari"]}
