"""Choosing the number of clusters k: elbow, BIC/AIC, silhouette, gap statistic.

Each criterion is computed on the same k grid so they can be plotted side by
side; :func:`choose_k` applies each criterion's own rule.  The gap statistic
follows Tibshirani, Walther & Hastie (2001): reference data uniform in the
bounding box of the data, W_k the pooled within-cluster sum of squares, and
the smallest k with Gap(k) >= Gap(k+1) - s_{k+1}.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture

from hepclust.errors import ArgumentError


def _kmeans_inertia(x: np.ndarray, k: int, seed: int) -> tuple[float, np.ndarray]:
    km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)
    return float(km.inertia_), km.labels_


def k_scan(x: np.ndarray, k_min: int, k_max: int, n_references: int, seed: int) -> pd.DataFrame:
    """Inertia, BIC, AIC, silhouette and gap (with its s_k) for k in [k_min, k_max]."""
    if k_max < k_min:
        raise ArgumentError("k_min", f"need k_min <= k_max, got k_min={k_min}, k_max={k_max}")
    if k_max > x.shape[0]:
        raise ArgumentError(
            "k_max", f"k_max={k_max} is larger than the number of points {x.shape[0]}"
        )
    rng = np.random.default_rng(seed)
    lo, hi = x.min(axis=0), x.max(axis=0)
    references = [rng.uniform(lo, hi, size=x.shape) for _ in range(n_references)]
    rows = []
    for k in range(k_min, k_max + 1):
        inertia, labels = _kmeans_inertia(x, k, seed)
        gmm = GaussianMixture(n_components=k, covariance_type="full", n_init=3, random_state=seed).fit(x)
        sil = silhouette_score(x, labels) if 2 <= k < x.shape[0] else np.nan
        log_w_ref = np.array([np.log(_kmeans_inertia(r, k, seed)[0]) for r in references])
        gap = float(log_w_ref.mean() - np.log(inertia))
        s_k = float(log_w_ref.std() * np.sqrt(1.0 + 1.0 / n_references))
        rows.append(
            {"k": k, "inertia": inertia, "bic": gmm.bic(x), "aic": gmm.aic(x), "silhouette": sil, "gap": gap, "gap_sd": s_k}
        )
    return pd.DataFrame(rows)


def elbow_k(k: np.ndarray, inertia: np.ndarray) -> int:
    """Knee of the inertia curve: the point farthest below the chord from first to last k."""
    if k.size < 3:
        return int(k[0])
    kn = (k - k[0]) / (k[-1] - k[0])
    yn = (inertia - inertia.min()) / (np.ptp(inertia) or 1.0)
    chord = yn[0] + (yn[-1] - yn[0]) * kn
    return int(k[np.argmax(chord - yn)])


def gap_k(k: np.ndarray, gap: np.ndarray, gap_sd: np.ndarray) -> int:
    """Tibshirani's rule: smallest k with Gap(k) >= Gap(k+1) - s_{k+1}; else the largest Gap."""
    for i in range(k.size - 1):
        if gap[i] >= gap[i + 1] - gap_sd[i + 1]:
            return int(k[i])
    return int(k[np.argmax(gap)])


def choose_k(scan: pd.DataFrame) -> dict[str, int]:
    """The k each criterion picks: elbow, min BIC, min AIC, max silhouette, gap rule."""
    k = scan["k"].to_numpy()
    sil = scan["silhouette"].to_numpy()
    return {
        "elbow": elbow_k(k, scan["inertia"].to_numpy()),
        "bic": int(k[np.argmin(scan["bic"].to_numpy())]),
        "aic": int(k[np.argmin(scan["aic"].to_numpy())]),
        "silhouette": int(k[np.nanargmax(sil)]) if np.isfinite(sil).any() else int(k[0]),
        "gap": gap_k(k, scan["gap"].to_numpy(), scan["gap_sd"].to_numpy()),
    }
