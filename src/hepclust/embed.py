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
    import umap

    return umap.UMAP(n_components=2, n_neighbors=min(n_neighbors, x.shape[0] - 1), random_state=seed,
                     n_jobs=1).fit_transform(x)
