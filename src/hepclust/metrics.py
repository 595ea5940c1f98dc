"""Clustering quality against truth (external) and without it (internal).

External scores compare a clustering with the hidden truth; Hungarian-matched
accuracy and the per-class scores first map each cluster to at most one class
by maximising matched counts (Kuhn-Munkres on the contingency table), which is
what "accuracy" of an unsupervised method means.  Noise (label -1) is treated
as one more cluster for external scores (it can never match a class better
than a real cluster, and counting it as wrong is honest) and is left out of
internal scores, which need geometric clusters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as skm

NOISE = -1


@dataclass(frozen=True)
class Matching:
    """Result of matching clusters to classes."""

    classes: np.ndarray  # sorted truth labels (rows of contingency)
    clusters: np.ndarray  # sorted predicted labels (columns of contingency)
    contingency: np.ndarray  # counts, classes x clusters
    cluster_to_class: dict[int, int]  # matched clusters only

    def mapped_labels(self, labels: np.ndarray, unmatched: int = -999) -> np.ndarray:
        """Predicted labels rewritten as class labels; unmatched clusters get ``unmatched``."""
        out = np.full(labels.shape, unmatched, dtype=np.int64)
        for c, k in self.cluster_to_class.items():
            out[labels == c] = k
        return out


def match_clusters(y_true: np.ndarray, y_pred: np.ndarray) -> Matching:
    """One-to-one cluster->class map maximising the number of matched points."""
    classes, ti = np.unique(y_true, return_inverse=True)
    clusters, pi = np.unique(y_pred, return_inverse=True)
    cont = np.zeros((classes.size, clusters.size), dtype=np.int64)
    np.add.at(cont, (ti, pi), 1)
    rows, cols = linear_sum_assignment(cont, maximize=True)
    mapping = {int(clusters[c]): int(classes[r]) for r, c in zip(rows, cols) if clusters[c] != NOISE}
    return Matching(classes, clusters, cont, mapping)


def hungarian_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of points whose cluster is matched to their class."""
    m = match_clusters(y_true, y_pred)
    return float(np.mean(m.mapped_labels(y_pred) == y_true))


def matched_confusion(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Confusion matrix with columns reordered so matched clusters sit on the diagonal.

    Returns the matrix (classes x clusters) and column labels; unmatched
    clusters and noise follow the matched ones.
    """
    m = match_clusters(y_true, y_pred)
    inv = {k: c for c, k in m.cluster_to_class.items()}
    order = [inv[int(k)] for k in m.classes if int(k) in inv]
    order += [int(c) for c in m.clusters if int(c) not in order]
    col_pos = {int(c): j for j, c in enumerate(m.clusters)}
    cont = m.contingency[:, [col_pos[c] for c in order]]
    return cont, [("noise" if c == NOISE else str(c)) for c in order]


def per_class_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[int, dict[str, float]]:
    """Precision, recall, F1 and support per true class after Hungarian matching."""
    m = match_clusters(y_true, y_pred)
    mapped = m.mapped_labels(y_pred)
    out: dict[int, dict[str, float]] = {}
    for k in m.classes:
        k = int(k)
        tp = int(np.sum((mapped == k) & (y_true == k)))
        fp = int(np.sum((mapped == k) & (y_true != k)))
        fn = int(np.sum((mapped != k) & (y_true == k)))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[k] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    return out


def roc_from_soft(
    y_true: np.ndarray, y_pred: np.ndarray, soft: np.ndarray
) -> dict[int, tuple[np.ndarray, np.ndarray, float]]:
    """One-vs-rest ROC per class, scoring each point by the membership of the class's matched cluster.

    ``soft[:, j]`` is the membership of cluster ``j`` (mixture components are
    labelled 0..K-1, the column index).  Classes with no matched cluster are
    skipped: there is no score to rank by.
    """
    m = match_clusters(y_true, y_pred)
    out = {}
    for c, k in m.cluster_to_class.items():
        if c >= soft.shape[1]:
            continue
        positive = (y_true == k).astype(int)
        if positive.min() == positive.max():
            continue
        fpr, tpr, _ = skm.roc_curve(positive, soft[:, c])
        out[k] = (fpr, tpr, float(skm.auc(fpr, tpr)))
    return out


def external_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """All truth-based scores of one clustering."""
    h, c, v = skm.homogeneity_completeness_v_measure(y_true, y_pred)
    return {
        "ari": float(skm.adjusted_rand_score(y_true, y_pred)),
        "ami": float(skm.adjusted_mutual_info_score(y_true, y_pred)),
        "nmi": float(skm.normalized_mutual_info_score(y_true, y_pred)),
        "homogeneity": float(h),
        "completeness": float(c),
        "v_measure": float(v),
        "fowlkes_mallows": float(skm.fowlkes_mallows_score(y_true, y_pred)),
        "hungarian_accuracy": hungarian_accuracy(y_true, y_pred),
    }


def internal_scores(x: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Silhouette, Davies-Bouldin, Calinski-Harabasz on non-noise points; NaN where undefined.

    They need at least two clusters and fewer clusters than points; a method
    that put everything in one cluster gets NaN rather than a crash.
    """
    keep = y_pred != NOISE
    xs, ys = x[keep], y_pred[keep]
    n_clusters = np.unique(ys).size
    if n_clusters < 2 or n_clusters >= xs.shape[0]:
        return {"silhouette": float("nan"), "davies_bouldin": float("nan"), "calinski_harabasz": float("nan")}
    return {
        "silhouette": float(skm.silhouette_score(xs, ys)),
        "davies_bouldin": float(skm.davies_bouldin_score(xs, ys)),
        "calinski_harabasz": float(skm.calinski_harabasz_score(xs, ys)),
    }


def majority_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Purity: each cluster votes for its majority class (many clusters may share a class).

    With more clusters than classes (over-clustering, K = 25 in the DUNE
    study) Hungarian accuracy can match only one cluster per class; purity
    says how clean the clusters are.  It rises trivially with K, so read it
    beside NMI/ARI.
    """
    m = match_clusters(y_true, y_pred)
    return float(m.contingency.max(axis=0).sum() / y_true.size)


def per_cluster_summary(y_true: np.ndarray, y_pred: np.ndarray, confidence: np.ndarray | None = None
                        ) -> list[dict[str, float]]:
    """Per cluster: size, majority class, purity (majority fraction) and mean confidence (max probability)."""
    rows = []
    for c in np.unique(y_pred):
        sel = y_pred == c
        classes, counts = np.unique(y_true[sel], return_counts=True)
        rows.append({"cluster": int(c), "size": int(sel.sum()), "majority_class": int(classes[np.argmax(counts)]),
                     "purity": float(counts.max() / sel.sum()),
                     "mean_confidence": float(confidence[sel].mean()) if confidence is not None else float("nan")})
    return rows
