"""Permutation feature importance for clusterings.

Importance of a feature = how much of the clustering is destroyed when that
feature is shuffled across points: 1 - ARI(original labels, labels after
permutation), averaged over repeats.  It needs no truth.  Models that assign
new points (``predict``) are asked directly; for the others (agglomerative,
DBSCAN, spectral...) a random-forest surrogate is trained to reproduce their
labels from the features, and its cross-validated fidelity is reported so a
reader can judge how far to trust the surrogate's answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import cross_val_score


@dataclass
class Importance:
    mean: np.ndarray  # per feature
    std: np.ndarray
    via_surrogate: bool
    surrogate_fidelity: float  # CV accuracy of the surrogate; NaN when the model predicts itself


def permutation_importance(
    model: BaseEstimator, x: np.ndarray, labels: np.ndarray, n_repeats: int, seed: int
) -> Importance:
    """ARI drop per feature when that feature's column is permuted ``n_repeats`` times."""
    rng = np.random.default_rng(seed)
    via_surrogate = not hasattr(model, "predict")
    fidelity = float("nan")
    predictor = model
    if via_surrogate:
        predictor = RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1)
        smallest_cluster = int(np.unique(labels, return_counts=True)[1].min())
        if np.unique(labels).size > 1 and smallest_cluster >= 2:
            # Stratified folds cannot outnumber the members of the smallest cluster.
            fidelity = float(cross_val_score(predictor, x, labels, cv=min(5, smallest_cluster)).mean())
        predictor.fit(x, labels)
    reference = predictor.predict(x)
    drops = np.zeros((x.shape[1], n_repeats))
    for j in range(x.shape[1]):
        for r in range(n_repeats):
            xp = x.copy()
            xp[:, j] = rng.permutation(xp[:, j])
            drops[j, r] = 1.0 - adjusted_rand_score(reference, predictor.predict(xp))
    return Importance(drops.mean(axis=1), drops.std(axis=1), via_surrogate, fidelity)
