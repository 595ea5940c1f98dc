"""k-means on the UMAP of the contrastive latent: the clusterer's k-means candidate.

Why not k-means on the latent itself: the contrastive latent is organised by
neighbourhoods (the instance loss only asks an image's views to be nearer each
other than other images), not by round clusters of equal spread.  On the LArTPC
images a class is a curved, elongated cloud (a muon track class spreads along
its angle and length), and k-means, which cuts space into equal-spread cells,
splits the broad classes and merges the thin ones.  UMAP keeps the k-nearest-
neighbour graph and lays it out with ``min_dist = 0``, which packs each
connected neighbourhood tightly, so the classes become compact blobs that
k-means separates (N2D, McConville et al. 2020: UMAP of an autoencoder's
embedding, then a mixture, beats clustering the embedding directly).

Measured (LArTPC, reflection padding, tuning seeds 5-12, one training each,
held-out Hungarian accuracy): k-means on the latent 0.797, 0.677, 0.738, 0.720,
0.767, 0.760, 0.693, 0.712 (median 0.729); k-means on a 10-D UMAP of it (30
neighbours, cosine) fitted on the training latents, the held-out latents placed
by ``transform``: 0.798, 0.703, 0.795, 0.790, 0.790, 0.777, 0.765, 0.798 (median
0.790), ahead on every seed; 15 or 50 neighbours, 5 or 20 dimensions, or a
Gaussian mixture instead of k-means read the same within 0.01 (the mixture
once 0.66).  Not on the digits (seeds 6, 7: 0.838, 0.818 against 0.900, 0.878
on the latent): there UMAP joins some digit classes into one blob, so the
config names the image sets that use it (``contrastive.scan.umap``).

Held-out images are placed into the training images' UMAP by
``UMAP.transform`` (their neighbours among the training latents), so the
clusterer still learns from the training images only, like the other
candidate.  UMAP and k-means are seeded and UMAP runs on one thread
(``n_jobs=1``), so the result is deterministic.

Placing is where the time went: with fewer than 4,096 training points
umap-learn 0.5 finds a new point's neighbours from exact distances, through
scikit-learn's ``pairwise_distances`` with umap's numba cosine as a Python
callable, one call per (new point, training point) pair.  For the LArTPC
training images' 4 x 2,400 views that is 23 million calls: 34 s of the scan's
58 s in the default run.  :func:`fast_placing` gives ``transform``
scikit-learn's vectorised ``"cosine"`` instead (the same distance up to the last
bits): the held-out images and the views placed in 3.4 s against 41 s.  The fit
itself is untouched.  The layout is a stochastic descent, so the last bits move
a few points (held-out k-means clusters: 3 of 600 changed on seed 5; over
sixteen seeds the answer and the pick never changed, the row before
self-labelling moved by at most 0.005).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans

from hepclust.contrastive.scan import NeighbourCountError
from hepclust.umap_cache import import_umap


@dataclass(frozen=True)
class ManifoldConfig:
    components: int = 10  # UMAP dimensions k-means runs in
    neighbours: int = 30  # UMAP's n_neighbors: the size of the neighbourhood it keeps


@contextmanager
def fast_placing(reducer: object) -> Iterator[object]:
    """A fitted cosine ``umap.UMAP`` whose ``transform`` computes the new points' distances to the training points
    with scikit-learn's vectorised ``"cosine"`` metric instead of umap's numba cosine called once per pair.

    Why a private attribute: in umap-learn 0.5.12 (pinned) the small-data ``transform`` passes
    ``_input_distance_func`` to ``pairwise_distances``, and nothing public selects how; the fit is over when it is
    swapped, and it is restored on exit.  A larger training set (NN-descent index) never reads it.  If umap-learn
    stops having it, this fails here rather than silently running the slow path.
    """
    if getattr(reducer, "metric", None) != "cosine" or not hasattr(reducer, "_input_distance_func"):
        raise TypeError("fast_placing needs a fitted umap.UMAP with metric='cosine' (umap-learn 0.5.12)")
    saved = reducer._input_distance_func
    reducer._input_distance_func = "cosine"
    try:
        yield reducer
    finally:
        reducer._input_distance_func = saved


def umap_kmeans(train: np.ndarray, test: np.ndarray, k: int, cfg: ManifoldConfig, seed: int,
                views: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(training clusters, held-out clusters, clusters of ``views``): k-means (10 restarts, lowest inertia) on a
    UMAP of ``train`` (cosine, ``min_dist`` 0); the held-out rows ``test`` and the training images' augmented
    views ``views`` (V, N, L; optional) placed into that UMAP and given their nearest centre.

    Why cosine: the latent is L2-normalised, and the instance loss compares it by cosine similarity."""
    if not 1 < cfg.neighbours < train.shape[0]:
        raise NeighbourCountError(f"UMAP neighbours={cfg.neighbours} must be between 2 and the number of training "
                                  f"images minus one ({train.shape[0] - 1})")
    umap = import_umap()
    reducer = umap.UMAP(n_components=cfg.components, n_neighbors=cfg.neighbours, min_dist=0.0, metric="cosine",
                        random_state=seed, n_jobs=1)
    z_train = reducer.fit_transform(np.asarray(train, np.float64))
    km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(z_train)
    placed = None
    with fast_placing(reducer):
        z_test = reducer.transform(np.asarray(test, np.float64))
        if views is not None:
            flat = np.asarray(views, np.float64).reshape(-1, views.shape[-1])
            placed = km.predict(reducer.transform(flat)).reshape(views.shape[:-1])
    return km.labels_, km.predict(z_test), placed
