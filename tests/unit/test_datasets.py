"""Toy mixture and penguins loaders."""

import numpy as np
import pytest

from hepclust.datasets.penguins import load_penguins_features
from hepclust.datasets.toy import make_gaussian_mixture
from hepclust.errors import ArgumentError

COMPONENTS = [
    {"mean": [0.0, 0.0], "cov": [[1.0, 0.6], [0.6, 1.0]], "n": 4000},
    {"mean": [5.0, -2.0], "cov": [[0.5, 0.0], [0.0, 2.0]], "n": 3000},
]


def test_mixture_reproduces_means_covariances_and_sizes():
    x, y = make_gaussian_mixture(COMPONENTS, seed=1)
    assert np.bincount(y).tolist() == [4000, 3000]
    for i, c in enumerate(COMPONENTS):
        xi = x[y == i]
        np.testing.assert_allclose(xi.mean(axis=0), c["mean"], atol=0.08)
        np.testing.assert_allclose(np.cov(xi.T), c["cov"], atol=0.1)


def test_mixture_is_deterministic_for_a_seed():
    a, _ = make_gaussian_mixture(COMPONENTS, seed=5)
    b, _ = make_gaussian_mixture(COMPONENTS, seed=5)
    c, _ = make_gaussian_mixture(COMPONENTS, seed=6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize(
    "cov, what",
    [([[1.0, 2.0], [2.0, 1.0]], "not positive semi-definite"), ([[1.0, 0.5], [0.2, 1.0]], "not symmetric")],
)
def test_bad_covariance_is_an_error_naming_the_component(cov, what):
    comps = [COMPONENTS[0], {"mean": [1.0, 1.0], "cov": cov, "n": 10}]
    with pytest.raises(ArgumentError, match=rf"components\[1\].cov'.*{what}"):
        make_gaussian_mixture(comps, seed=0)


def test_singular_but_psd_covariance_is_allowed():
    x, _ = make_gaussian_mixture([{"mean": [0.0, 0.0], "cov": [[1.0, 1.0], [1.0, 1.0]], "n": 50}], seed=0)
    np.testing.assert_allclose(x[:, 0], x[:, 1], atol=1e-9)


def test_penguins_has_known_species_counts_and_standardises():
    x, y, species = load_penguins_features(["bill_length_mm", "bill_depth_mm"], standardize=True)
    assert species == ["Adelie", "Chinstrap", "Gentoo"]
    assert np.bincount(y).tolist() == [151, 68, 123]  # 344 birds, two with no measurements
    np.testing.assert_allclose(x.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(x.std(axis=0), 1, atol=1e-12)
