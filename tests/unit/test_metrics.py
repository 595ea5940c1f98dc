"""Metrics against hand-computed values and scikit-learn."""

import numpy as np
import pytest
from sklearn import metrics as skm

from hepclust import metrics


def test_hungarian_accuracy_matches_hand_count_on_permuted_labels():
    y_true = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    # cluster 5 -> class 0 (3 hits), cluster 7 -> class 1 (2 hits), cluster 9 -> class 2 (2 hits)
    y_pred = np.array([5, 5, 5, 7, 7, 9, 9, 9])
    assert metrics.hungarian_accuracy(y_true, y_pred) == pytest.approx(7 / 8)


def test_hungarian_accuracy_counts_extra_clusters_and_noise_as_wrong():
    y_true = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    y_pred = np.array([0, 0, 2, -1, 1, 1, 1, 3])
    # best one-to-one map: 0->0 (2), 1->1 (3); clusters 2, 3 and noise unmatched
    assert metrics.hungarian_accuracy(y_true, y_pred) == pytest.approx(5 / 8)


def test_hungarian_matching_beats_greedy_assignment():
    # greedy would give cluster 0 to class 0 (4 hits) and leave cluster 1 with class 1 (0 hits) -> 4/10;
    # the optimum maps cluster 0 -> class 1 and cluster 1 -> class 0 -> 3+3=6/10.
    cont = {(0, 0): 4, (0, 1): 3, (1, 0): 3, (1, 1): 0}
    y_true, y_pred = [], []
    for (t, p), n in cont.items():
        y_true += [t] * n
        y_pred += [p] * n
    assert metrics.hungarian_accuracy(np.array(y_true), np.array(y_pred)) == pytest.approx(6 / 10)


def test_external_scores_agree_with_sklearn_and_are_label_permutation_invariant():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 3, 200)
    y_pred = np.where(rng.random(200) < 0.8, y_true, rng.integers(0, 3, 200))
    s = metrics.external_scores(y_true, y_pred)
    assert s["ari"] == pytest.approx(skm.adjusted_rand_score(y_true, y_pred))
    assert s["ami"] == pytest.approx(skm.adjusted_mutual_info_score(y_true, y_pred))
    assert s["fowlkes_mallows"] == pytest.approx(skm.fowlkes_mallows_score(y_true, y_pred))
    permuted = np.array([2, 0, 1])[y_pred]
    assert metrics.external_scores(y_true, permuted) == pytest.approx(s)


def test_per_class_scores_by_hand():
    y_true = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    y_pred = np.array([1, 1, 1, 0, 0, 0, 0, 1])  # cluster 1 -> class 0, cluster 0 -> class 1
    s = metrics.per_class_scores(y_true, y_pred)
    # class 0: predicted members = cluster 1 = {0,1,2,7}: tp=3, fp=1, fn=1
    assert s[0]["precision"] == pytest.approx(3 / 4)
    assert s[0]["recall"] == pytest.approx(3 / 4)
    assert s[1]["f1"] == pytest.approx(3 / 4)
    assert s[0]["support"] == 4


def test_matched_confusion_puts_matches_on_diagonal():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([2, 2, 0, 0, -1, 1])
    cont, cols = metrics.matched_confusion(y_true, y_pred)
    assert cols == ["2", "0", "1", "noise"]
    np.testing.assert_array_equal(np.diag(cont), [2, 2, 1])
    assert cont.sum() == 6


def test_roc_auc_is_one_for_perfect_soft_memberships_and_matches_sklearn():
    y_true = np.array([0, 0, 1, 1, 1])
    y_pred = np.array([1, 1, 0, 0, 0])
    soft = np.array([[0.1, 0.9], [0.3, 0.7], [0.8, 0.2], [0.6, 0.4], [0.2, 0.8]])
    roc = metrics.roc_from_soft(y_true, y_pred, soft)
    # class 1 is matched to cluster 0: its score is soft[:, 0]
    assert roc[1][2] == pytest.approx(skm.roc_auc_score(y_true == 1, soft[:, 0]))
    assert roc[1][2] == pytest.approx(5 / 6)


def test_internal_scores_ignore_noise_and_are_nan_for_one_cluster():
    x = np.array([[0.0, 0], [0.1, 0], [5, 5], [5.1, 5], [100, 100]])
    s = metrics.internal_scores(x, np.array([0, 0, 1, 1, -1]))
    assert s["silhouette"] == pytest.approx(skm.silhouette_score(x[:4], [0, 0, 1, 1]))
    assert np.isnan(metrics.internal_scores(x, np.zeros(5, int))["silhouette"])
