"""umap-learn's kernels go to numba's file cache, so each rule's process does not compile them again."""

from __future__ import annotations

import os

import numpy as np
from numba.core.caching import NullCache

from hepclust.embed import umap2d
from hepclust.umap_cache import import_umap


def test_umaps_uncached_kernels_get_a_file_cache_and_write_it():
    umap = import_umap()
    # the kernels that cost most of the ~23 s per process (umap-learn 0.5.12, as pinned)
    kernels = [umap.utils.fast_knn_indices, umap.umap_.smooth_knn_dist, umap.umap_.compute_membership_strengths]
    assert not any(isinstance(k._cache, NullCache) for k in kernels)
    umap2d(np.random.default_rng(0).normal(size=(60, 5)), 10, seed=1)
    for k in kernels:
        assert os.path.exists(k._cache._cache_file._index_path), k.py_func.__qualname__


def test_import_is_idempotent_and_umap_stays_deterministic():
    x = np.random.default_rng(1).normal(size=(80, 4))
    a = umap2d(x, 10, seed=3)
    import_umap()
    assert np.array_equal(a, umap2d(x, 10, seed=3))
