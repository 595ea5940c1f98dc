"""Gaussian-mixture toy data with known truth.

Components are given as mean, full covariance and size.  A covariance that is
not symmetric positive semi-definite is a *config* error: numpy would only
warn and silently draw from something else, which makes a comparison of
clustering methods meaningless.  Errors name the offending argument
(``components[1].cov``); ``hepclust.classical.study`` maps it to the config key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hepclust.errors import ArgumentError

PSD_TOLERANCE = 1e-10


def check_covariance(cov: np.ndarray, key: str) -> None:
    """Raise :class:`ArgumentError` (for argument ``key``) unless ``cov`` is square, symmetric and PSD."""
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ArgumentError(key, f"covariance must be a square matrix, got shape {cov.shape}")
    if not np.all(np.isfinite(cov)):
        raise ArgumentError(key, "covariance contains NaN or infinity")
    if not np.allclose(cov, cov.T, rtol=0.0, atol=1e-12):
        raise ArgumentError(key, f"covariance is not symmetric: {cov.tolist()}")
    min_eig = float(np.linalg.eigvalsh(cov).min())
    scale = max(1.0, float(np.abs(cov).max()))
    if min_eig < -PSD_TOLERANCE * scale:
        raise ArgumentError(
            key, f"covariance is not positive semi-definite (smallest eigenvalue {min_eig:.4g}): {cov.tolist()}"
        )


def check_components(components: Sequence[Mapping[str, Any]]) -> None:
    """Validate what a schema cannot: equal dimensions and a PSD covariance for every component."""
    dim = len(components[0]["mean"])
    for i, comp in enumerate(components):
        ckey = f"components[{i}]"
        mean = np.asarray(comp["mean"], dtype=float)
        if mean.shape != (dim,):
            raise ArgumentError(f"{ckey}.mean", f"expected {dim} values like the first component, got {mean.shape}")
        try:
            cov = np.asarray(comp["cov"], dtype=float)
        except ValueError as exc:
            raise ArgumentError(f"{ckey}.cov", f"not a rectangular matrix: {comp['cov']}") from exc
        if cov.shape != (dim, dim):
            raise ArgumentError(f"{ckey}.cov", f"expected a {dim}x{dim} matrix, got shape {cov.shape}")
        check_covariance(cov, f"{ckey}.cov")


def make_gaussian_mixture(
    components: Sequence[Mapping[str, Any]], seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points from each component ``{mean, cov, n}``.

    Returns features ``X`` (float64, shape ``(sum n, d)``) and the component
    index ``y`` of every point as truth.  The same seed gives the same data.
    """
    check_components(components)
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for i, comp in enumerate(components):
        n = int(comp["n"])
        xs.append(rng.multivariate_normal(np.asarray(comp["mean"], float), np.asarray(comp["cov"], float),
                                          size=n, method="eigh"))
        ys.append(np.full(n, i, dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys)
