"""Choosing k on data whose k is known."""

import numpy as np
import pytest

from hepclust import selection
from hepclust.errors import ArgumentError


@pytest.fixture(scope="module")
def three_blobs():
    rng = np.random.default_rng(3)
    centres = np.array([[0, 0], [8, 0], [4, 7]])
    return np.concatenate([rng.normal(c, 0.7, size=(80, 2)) for c in centres])


def test_every_criterion_finds_three_well_separated_blobs(three_blobs):
    scan = selection.k_scan(three_blobs, 1, 7, n_references=8, seed=0)
    chosen = selection.choose_k(scan)
    assert chosen == {"elbow": 3, "bic": 3, "aic": 3, "silhouette": 3, "gap": 3}


def test_gap_statistic_says_one_cluster_for_uniform_noise():
    x = np.random.default_rng(1).uniform(size=(300, 2))
    scan = selection.k_scan(x, 1, 5, n_references=10, seed=0)
    assert selection.gap_k(scan["k"].to_numpy(), scan["gap"].to_numpy(), scan["gap_sd"].to_numpy()) == 1


def test_gap_rule_by_hand():
    k = np.array([1, 2, 3, 4])
    gap = np.array([0.1, 0.5, 0.9, 0.95])
    sd = np.array([0.01, 0.01, 0.01, 0.1])
    # k=1: 0.1 >= 0.5-0.01? no; k=2: 0.5 >= 0.9-0.01? no; k=3: 0.9 >= 0.95-0.1 yes
    assert selection.gap_k(k, gap, sd) == 3


def test_elbow_of_a_piecewise_linear_curve():
    k = np.arange(1, 9)
    inertia = np.array([100, 60, 20, 18, 16, 14, 12, 10], float)
    assert selection.elbow_k(k, inertia) == 3


def test_k_max_larger_than_points_is_an_error_naming_k_max():
    with pytest.raises(ArgumentError, match="argument 'k_max'.*larger than the number of points 5"):
        selection.k_scan(np.zeros((5, 2)), 1, 9, 2, 0)
