"""Low-dimensional embeddings for figures: PCA, t-SNE (openTSNE) and UMAP.

openTSNE's FFT-accelerated gradients make t-SNE several times faster than
scikit-learn's Barnes-Hut at tens of thousands of points, with the same
objective; UMAP preserves more global structure.  Both are seeded.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA


def pca(x: np.ndarray, n_components: int, seed: int) -> np.ndarray:
    return PCA(n_components=min(n_components, *x.shape), random_state=seed).fit_transform(x)


def tsne(x: np.ndarray, perplexity: float, seed: int, n_jobs: int = 1) -> np.ndarray:
    from openTSNE import TSNE

    perplexity = min(perplexity, max(2.0, (x.shape[0] - 1) / 3.0))
    return np.asarray(TSNE(perplexity=perplexity, random_state=seed, n_jobs=n_jobs, verbose=False).fit(x))


def umap2d(x: np.ndarray, n_neighbors: int, seed: int) -> np.ndarray:
    from hepclust.umap_cache import import_umap

    umap = import_umap()
    return umap.UMAP(n_components=2, n_neighbors=min(n_neighbors, x.shape[0] - 1), random_state=seed,
                     n_jobs=1).fit_transform(x)


def tsne_sklearn(x: np.ndarray, perplexity: float, seed: int) -> np.ndarray:
    from sklearn.manifold import TSNE

    perplexity = min(perplexity, max(2.0, (x.shape[0] - 1) / 3.0))
    return TSNE(perplexity=perplexity, random_state=seed, init="pca", n_jobs=1).fit_transform(x)


def tsne_timing(sizes, dim: int, repeats: int, perplexity: float, seed: int):
    """Median seconds of openTSNE and scikit-learn's t-SNE (both single-threaded) on the same data.

    Data: a 10-component Gaussian mixture in ``dim`` dimensions, like a latent space.  Runs are
    interleaved repeat by repeat so both see the same machine load.  Single-threaded is enforced, not
    assumed: scikit-learn's Barnes-Hut gradient is an OpenMP loop that takes as many threads as
    OMP_NUM_THREADS allows (Snakemake sets it to the rule's threads), which gave scikit-learn 2 threads
    against openTSNE's 1 on the 2-core default until 2026-11-30 (2,000 points: 6.8-7.3 s against 9.4-11.2 s
    on one thread).
    """
    import time

    import pandas as pd
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        centres = rng.normal(0, 5, (10, dim))
        x = centres[rng.integers(0, 10, n)] + rng.normal(size=(n, dim))
        times = {"opentsne": [], "sklearn": []}
        for _ in range(repeats):
            for name, fn in (("opentsne", tsne), ("sklearn", tsne_sklearn)):
                with threadpool_limits(limits=1):  # OpenMP and BLAS, for both
                    t = time.perf_counter()
                    fn(x, perplexity, seed)
                    times[name].append(time.perf_counter() - t)
        med = {k: float(np.median(v)) for k, v in times.items()}
        rows.append({"n_points": n, "dim": dim, "repeats": repeats, "opentsne_s": med["opentsne"],
                     "sklearn_s": med["sklearn"], "sklearn_over_opentsne": med["sklearn"] / med["opentsne"]})
    return pd.DataFrame(rows)
