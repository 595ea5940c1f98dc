"""Figures of the contrastive-clustering study."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hepclust.metrics import match_clusters
from hepclust.plotting.common import cluster_colors


def contingency(labels: np.ndarray, cluster: np.ndarray, class_names: Sequence[str]) -> Figure:
    """Truth x cluster counts, row-normalised, clusters ordered by their majority class."""
    m = match_clusters(labels, cluster)
    cont = m.contingency.astype(float)
    order = np.lexsort((-cont.max(axis=0), cont.argmax(axis=0)))
    cont = cont[:, order]
    frac = cont / cont.sum(axis=1, keepdims=True)
    fig, ax = plt.subplots(figsize=(max(5, 0.45 * cont.shape[1] + 3), 0.45 * len(class_names) + 2))
    im = ax.imshow(frac, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for (r, c), v in np.ndenumerate(cont):
        if v:
            ax.text(c, r, int(v), ha="center", va="center", fontsize=7, color="white" if frac[r, c] < 0.6 else "k")
    ax.set_yticks(range(len(class_names)), class_names, fontsize=8)
    ax.set_xticks(range(cont.shape[1]), [str(int(c)) for c in m.clusters[order]], fontsize=7)
    ax.set_xlabel("cluster (ordered by majority class)")
    ax.set_ylabel("true class")
    fig.colorbar(im, ax=ax, label="fraction of the true class")
    fig.tight_layout()
    return fig


def gallery(images: np.ndarray, cluster: np.ndarray, labels: np.ndarray, class_names: Sequence[str], per_cluster: int,
            seed: int) -> Figure:
    """Random examples of every cluster (rows), log charge, titled with their true class."""
    rng = np.random.default_rng(seed)
    clusters = np.unique(cluster)
    h, w = images.shape[1:]
    aspect = w / h
    fig, axes = plt.subplots(len(clusters), per_cluster, figsize=(per_cluster * 1.3 * aspect, 1.3 * len(clusters)),
                             squeeze=False)
    for r, c in enumerate(clusters):
        idx = np.flatnonzero(cluster == c)
        pick = rng.choice(idx, size=min(per_cluster, idx.size), replace=False)
        for j in range(per_cluster):
            ax = axes[r, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j < pick.size:
                ax.imshow(np.log10(1 + np.clip(images[pick[j]], 0, None)), cmap="magma", aspect="auto")
                ax.set_title(class_names[labels[pick[j]]], fontsize=6, pad=1)
            else:
                ax.axis("off")
        axes[r, 0].set_ylabel(f"cluster {c}\n(n={idx.size})", fontsize=7)
    fig.tight_layout()
    return fig


def embedding_scatter(coords: dict[str, np.ndarray], labels: np.ndarray, cluster: np.ndarray,
                      class_names: Sequence[str]) -> Figure:
    """For each embedding (t-SNE, UMAP): points coloured by truth (left) and by cluster (right)."""
    fig, axes = plt.subplots(len(coords), 2, figsize=(11, 5 * len(coords)), squeeze=False)
    for row, (name, xy) in enumerate(coords.items()):
        for col, (lab, title) in enumerate(((labels, "truth"), (cluster, "cluster"))):
            ax = axes[row, col]
            ax.scatter(xy[:, 0], xy[:, 1], c=cluster_colors(lab, "tab10" if lab.max() < 10 else "tab20"), s=4,
                       linewidths=0)
            ax.set_title(f"{name}, coloured by {title}", fontsize=10)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(f"{name} 1 [arb. units]")
            ax.set_ylabel(f"{name} 2 [arb. units]")
        handles = [plt.Line2D([], [], ls="", marker="o", color=cluster_colors([k])[0], label=n)
                   for k, n in enumerate(class_names)]
        axes[row, 0].legend(handles=handles, fontsize=7, markerscale=1, loc="best")
    fig.tight_layout()
    return fig


def training_curves(history: pd.DataFrame) -> Figure:
    """Instance loss, cluster loss, entropy term and cluster-size entropy per epoch; one line per ensemble
    member where ``history`` has a ``member`` column."""
    fig, axes = plt.subplots(1, 4, figsize=(15, 3))
    units = {"instance_loss": "[nats]", "cluster_loss": "[nats]", "entropy_term": "[nats]",
             "cluster_size_entropy": "[fraction of ln K]"}
    members = history.groupby("member") if "member" in history else [(0, history)]
    for ax, (col, unit) in zip(axes, units.items()):
        for m, h in members:
            ax.plot(h["epoch"], h[col], "o-", ms=3, label=f"member {m}")
        if len(members) > 1:
            ax.legend(fontsize=7)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{col.replace('_', ' ')} {unit}")
        ax.set_title(col.replace("_", " "), fontsize=10)
    fig.tight_layout()
    return fig
