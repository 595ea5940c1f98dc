"""The classical clustering study, step by step, as the workflow's rules run it.

Each function is one rule's worth of work: read validated inputs, compute,
write outputs atomically.  Scripts in ``scripts/`` only unpack Snakemake's
``input``/``params``/``output`` and call these.  This module is the classical
domain's one config boundary: the library below raises errors naming its own
arguments, and the functions here re-raise them naming the config key
(:func:`hepclust.errors.config_boundary`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hepclust import importance, metrics, selection
from hepclust.classical import registry
from hepclust.classical.data import read_dataset
from hepclust.datasets.penguins import NUMERIC_FEATURES, load_penguins_features
from hepclust.datasets.toy import check_components
from hepclust.errors import ConfigError, InputError, config_boundary
from hepclust.io import read_h5, write_h5

RESULT_KIND = "clustering_result"


def check_config(methods: Mapping[str, Any], run: Sequence[str], toy_components: Sequence[Mapping[str, Any]],
                 seed: int) -> None:
    """What the JSON schema cannot check, at workflow start: every method that will run builds with
    its params (and each per-dataset override), and the toy covariances are PSD."""
    with config_boundary("toy"):
        check_components(toy_components)
    for name in run:
        if name not in methods:
            raise ConfigError("classical.run", f"method '{name}' is not defined under classical.methods")
        entry = methods[name]
        with config_boundary(f"classical.methods.{name}"):
            registry.build_estimator(entry["estimator"], entry.get("params", {}), seed)
        for dataset in entry.get("overrides", {}):
            with config_boundary(f"classical.methods.{name}.overrides.{dataset}"):
                registry.build_estimator(entry["estimator"], registry.method_params(entry, dataset), seed)


def run_method(dataset_path: str, out: str, method: str, estimator: str, params: Mapping[str, Any], seed: int,
               n_repeats: int, n_grid: int) -> None:
    """Fit one method on one dataset; store labels, soft memberships, centres, regions, importance.

    ``params`` are the method's params for this dataset (``registry.method_params``: overrides applied).
    """
    d = read_dataset(dataset_path)
    with config_boundary(f"classical.methods.{method}"):
        res = registry.fit_cluster(estimator, params, d["x"], seed, source=dataset_path)
    imp = importance.permutation_importance(res.model, d["x"], res.labels, n_repeats, seed)
    arrays: dict[str, np.ndarray] = {"labels": res.labels, "importance_mean": imp.mean, "importance_std": imp.std}
    if res.soft is not None:
        arrays["soft"] = res.soft
    if res.centers is not None:
        arrays["centers"] = res.centers
    regions = registry.decision_regions(res.model, d["x"], n_grid)
    if regions is not None:
        arrays.update(regions)
    n_found = int(np.unique(res.labels[res.labels >= 0]).size)
    write_h5(out, RESULT_KIND, arrays,
             {"estimator": estimator, "params": params, "seed": seed, "importance_repeats": n_repeats},
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
    with config_boundary("classical.k_selection"):
        scan = selection.k_scan(d["x"], k_min, k_max, n_references, seed)
    return scan, selection.choose_k(scan)


def penguins_all_features_embedding(clusterer: Mapping[str, Any], perplexity: float, n_neighbors: int,
                                    seed: int) -> dict[str, Any]:
    """t-SNE and UMAP of the penguins with all four (standardised) features, coloured by species and by
    the clusters of ``clusterer`` (``{estimator, params}``, config ``embeddings.penguins.clusterer``)."""
    from hepclust import embed

    x, y, species = load_penguins_features(list(NUMERIC_FEATURES), standardize=True)
    with config_boundary("embeddings.penguins.clusterer"):
        res = registry.fit_cluster(clusterer["estimator"], clusterer.get("params", {}), x, seed)
    return {"coords": {"t-SNE": embed.tsne(x, perplexity, seed), "UMAP": embed.umap2d(x, n_neighbors, seed)},
            "labels": y, "cluster": res.labels, "class_names": species,
            "ari": metrics.external_scores(y, res.labels)["ari"]}
