"""Registry of classical clustering methods: config name -> scikit-learn estimator.

Each registry entry knows how to build the estimator from config params and a
seed, and which optional outputs the fitted model offers (a ``predict`` for
decision regions and permutation importance, soft memberships for ROC curves,
centres for plots).  A method in the config is ``{estimator: <registry name>,
params: {...}}`` so the same estimator can appear several times (e.g. four
agglomerative linkages).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import cluster, mixture
from sklearn.base import BaseEstimator

from hepclust.errors import ArgumentError, InputError


ACTIVE_WEIGHT = 0.01  # mixture components below this weight are not drawn as centres


@dataclass(frozen=True)
class MethodSpec:
    """How to build one estimator family, and which of its params count clusters."""

    factory: Callable[..., BaseEstimator]
    seeded: bool
    k_param: str | None  # the param that fixes the number of clusters, if any


REGISTRY: dict[str, MethodSpec] = {
    "kmeans": MethodSpec(cluster.KMeans, True, "n_clusters"),
    "gmm": MethodSpec(mixture.GaussianMixture, True, "n_components"),
    "bgmm": MethodSpec(mixture.BayesianGaussianMixture, True, "n_components"),
    "agglomerative": MethodSpec(cluster.AgglomerativeClustering, False, "n_clusters"),
    "dbscan": MethodSpec(cluster.DBSCAN, False, None),
    "hdbscan": MethodSpec(cluster.HDBSCAN, False, None),
    "spectral": MethodSpec(cluster.SpectralClustering, True, "n_clusters"),
    "optics": MethodSpec(cluster.OPTICS, False, None),
    "birch": MethodSpec(cluster.Birch, False, "n_clusters"),
    "meanshift": MethodSpec(cluster.MeanShift, False, None),
}


@dataclass
class ClusterResult:
    """What one fit produces.  ``labels`` use -1 for noise (DBSCAN family)."""

    labels: np.ndarray
    soft: np.ndarray | None
    centers: np.ndarray | None
    fit_time_s: float
    model: BaseEstimator


def build_estimator(estimator: str, params: Mapping[str, Any], seed: int) -> BaseEstimator:
    """Instantiate and validate an estimator; bad ``params`` raise :class:`ArgumentError`.

    ``estimator`` must be a registry name (the config schema enumerates them).
    """
    spec = REGISTRY[estimator]
    kwargs = dict(params)
    if spec.seeded:
        kwargs.setdefault("random_state", seed)
    try:
        model = spec.factory(**kwargs)
    except TypeError as exc:
        raise ArgumentError("params", f"not a parameter of {spec.factory.__name__}: {exc}") from exc
    try:
        # scikit-learn validates param types/ranges at fit time; do it now so a
        # bad config fails before any data is touched.
        model._validate_params()
    except Exception as exc:  # sklearn's InvalidParameterError, ValueError, TypeError
        raise ArgumentError("params", str(exc)) from exc
    return model


def _check_input(x: np.ndarray, model: BaseEstimator, estimator: str, source: str) -> None:
    if x.ndim != 2 or x.shape[0] == 0:
        raise InputError(source, f"expected a non-empty 2-D feature array, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        bad = int((~np.isfinite(x)).any(axis=1).sum())
        raise InputError(source, f"{bad} row(s) of the features contain NaN or infinity")
    k_param = REGISTRY[estimator].k_param
    k = getattr(model, k_param, None) if k_param else None
    if k is not None and k > x.shape[0]:
        raise ArgumentError(f"params.{k_param}", f"asks for {k} clusters but the data have only {x.shape[0]} points")


def fit_cluster(
    estimator: str, params: Mapping[str, Any], x: np.ndarray, seed: int, source: str = "features"
) -> ClusterResult:
    """Fit one method on ``x`` and collect labels, soft memberships and centres.

    ``source`` names where ``x`` came from, for :class:`InputError` messages.
    """
    model = build_estimator(estimator, params, seed)
    _check_input(x, model, estimator, source)
    start = time.perf_counter()
    labels = model.fit_predict(x) if hasattr(model, "fit_predict") else model.fit(x).labels_
    fit_time = time.perf_counter() - start
    soft = model.predict_proba(x) if hasattr(model, "predict_proba") else None
    return ClusterResult(
        labels=np.asarray(labels, dtype=np.int64),
        soft=None if soft is None else np.asarray(soft, dtype=float),
        centers=cluster_centers(model),
        fit_time_s=fit_time,
        model=model,
    )


def cluster_centers(model: BaseEstimator) -> np.ndarray | None:
    """Centres/means where the model defines them (for plots)."""
    # BIRCH's subcluster_centers_ are CF-tree leaves, not cluster centres: not shown.
    # A Bayesian mixture switches spare components off (weight ~ 0): not shown either.
    if hasattr(model, "cluster_centers_"):
        return np.asarray(model.cluster_centers_, dtype=float)
    if hasattr(model, "means_"):
        return np.asarray(model.means_[model.weights_ > ACTIVE_WEIGHT], dtype=float)
    return None


def can_predict(model: BaseEstimator) -> bool:
    """Whether the fitted model assigns new points (needed for decision regions)."""
    return hasattr(model, "predict")


def decision_regions(model: BaseEstimator, x: np.ndarray, n_grid: int) -> dict[str, np.ndarray] | None:
    """Predicted cluster on an ``n_grid`` x ``n_grid`` mesh around 2-D data; None otherwise."""
    if x.shape[1] != 2 or not can_predict(model):
        return None
    pad = 0.05 * (x.max(axis=0) - x.min(axis=0))
    lo, hi = x.min(axis=0) - pad, x.max(axis=0) + pad
    gx = np.linspace(lo[0], hi[0], n_grid)
    gy = np.linspace(lo[1], hi[1], n_grid)
    mesh = np.column_stack([g.ravel() for g in np.meshgrid(gx, gy)])
    return {"grid_x": gx, "grid_y": gy, "grid_labels": model.predict(mesh).reshape(n_grid, n_grid).astype(np.int64)}


def method_params(entry: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """Params of a method for one dataset: ``params`` updated by ``overrides[dataset]``."""
    return {**entry.get("params", {}), **entry.get("overrides", {}).get(dataset, {})}
