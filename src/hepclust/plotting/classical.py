"""Figures of the classical clustering study."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from hepclust.plotting.common import cluster_colors

PALETTE = "tab10"


def comparison_grid(
    datasets: Mapping[str, dict], results: Mapping[str, Mapping[str, dict]], methods: Sequence[str]
) -> Figure:
    """Datasets (rows) x methods (columns), as in scikit-learn's clustering comparison: points coloured
    by cluster, decision regions shaded where the model predicts, centres/means as crosses, fit time in
    the lower right corner.

    ``datasets[name]`` holds ``x`` and ``feature_labels`` (names with units); ``results[name][method]``
    the stored result arrays and ``fit_time_s``.  Data with more than two features are shown on their
    first two principal components.  Axis labels (with units) stand on the first panel of each row:
    every panel of a row shares the same axes.
    """
    nrow, ncol = len(datasets), len(methods)
    fig, axes = plt.subplots(nrow, ncol, figsize=(1.9 * ncol + 0.6, 2.0 * nrow + 0.5), squeeze=False,
                             sharex="row", sharey="row")
    for i, (dname, d) in enumerate(datasets.items()):
        x = d["x"]
        proj = None
        labels = d["feature_labels"]
        x2 = x
        if x.shape[1] > 2:
            xc = x - x.mean(axis=0)
            proj = np.linalg.svd(xc, full_matrices=False)[2][:2].T
            x2 = xc @ proj
            labels = ["PC1 of the features", "PC2 of the features"]
        for j, method in enumerate(methods):
            ax = axes[i, j]
            r = results[dname][method]
            if "grid_labels" in r:
                n_lab = int(max(r["grid_labels"].max(), r["labels"].max())) + 1
                cmap = ListedColormap([plt.get_cmap(PALETTE)(c % 10) for c in range(max(n_lab, 1))])
                ax.pcolormesh(r["grid_x"], r["grid_y"], r["grid_labels"], cmap=cmap, vmin=-0.5,
                              vmax=n_lab - 0.5, alpha=0.2, shading="auto", rasterized=True)
            ax.scatter(x2[:, 0], x2[:, 1], c=cluster_colors(r["labels"], PALETTE), s=3, linewidths=0)
            if "centers" in r:
                c = r["centers"] if proj is None else (r["centers"] - x.mean(axis=0)) @ proj
                ax.scatter(c[:, 0], c[:, 1], marker="x", c="k", s=30, linewidths=1.2)
            ax.text(0.97, 0.03, f"{r['fit_time_s']:.2g} s", transform=ax.transAxes, ha="right", va="bottom",
                    fontsize=8, bbox={"fc": "white", "alpha": 0.7, "lw": 0})
            ax.tick_params(labelsize=6, length=2)
            if i == 0:
                ax.set_title(method, fontsize=10)
            if j == 0:
                ax.set_xlabel(labels[0], fontsize=8)
                ax.set_ylabel(f"{dname}\n{labels[1]}", fontsize=8)
    fig.tight_layout(w_pad=0.3, h_pad=0.6)
    return fig


def k_selection(scan: pd.DataFrame, chosen: Mapping[str, int], dataset: str) -> Figure:
    """Four panels: elbow (inertia), BIC/AIC, silhouette, gap with error bars; chosen k marked."""
    fig, axes = plt.subplots(1, 4, figsize=(13, 3))
    k = scan["k"]
    panels = [
        (axes[0], [("inertia", "elbow")], "k-means inertia [feature units²]"),
        (axes[1], [("bic", "bic"), ("aic", "aic")], "GMM information criterion"),
        (axes[2], [("silhouette", "silhouette")], "mean silhouette"),
    ]
    for ax, curves, ylabel in panels:
        for col, crit in curves:
            line = ax.plot(k, scan[col], "o-", ms=3, label=col.upper() if col in ("bic", "aic") else col)[0]
            kc = chosen[crit]
            ax.axvline(kc, color=line.get_color(), ls="--", lw=1)
            ax.plot([kc], scan.loc[k == kc, col], "*", ms=12, color=line.get_color())
        ax.set_ylabel(ylabel)
        if len(curves) > 1:
            ax.legend(fontsize=8)
    axes[3].errorbar(k, scan["gap"], yerr=scan["gap_sd"], fmt="o-", ms=3, capsize=2)
    axes[3].axvline(chosen["gap"], ls="--", lw=1)
    axes[3].set_ylabel("gap statistic")
    for ax in axes:
        ax.set_xlabel("k (number of clusters)")
    fig.suptitle(f"{dataset}: choosing k (chosen: " + ", ".join(f"{c}={v}" for c, v in chosen.items()) + ")",
                 fontsize=10)
    fig.tight_layout()
    return fig


def confusion_grid(confusions: Mapping[str, tuple[np.ndarray, list[str]]], class_names: Sequence[str]) -> Figure:
    """One matched confusion matrix per method (rows: true class, columns: cluster)."""
    n = len(confusions)
    ncol = min(n, 5)
    nrow = -(-n // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.9 * ncol, 2.6 * nrow), squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax, (method, (cont, cols)) in zip(axes.flat, confusions.items()):
        ax.imshow(cont, cmap="Blues", aspect="auto")
        show_cols = cont.shape[1] <= 12
        for (r, c), v in np.ndenumerate(cont):
            if show_cols and v:
                ax.text(c, r, str(v), ha="center", va="center", fontsize=7,
                        color="white" if v > cont.max() / 2 else "black")
        ax.set_yticks(range(len(class_names)), class_names, fontsize=7)
        ax.set_xticks(range(len(cols)) if show_cols else [], cols if show_cols else [], fontsize=7)
        ax.set_title(method, fontsize=9)
        ax.set_xlabel("cluster (matched to classes first)", fontsize=7)
        ax.set_ylabel("true class", fontsize=7)
    fig.tight_layout()
    return fig


def roc_grid(rocs: Mapping[str, Mapping[int, tuple]], class_names: Sequence[str]) -> Figure:
    """One-vs-rest ROC curves from soft memberships, one panel per soft method."""
    n = max(len(rocs), 1)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.0), squeeze=False)
    for ax, (method, curves) in zip(axes.flat, rocs.items()):
        for k, (fpr, tpr, auc) in sorted(curves.items()):
            ax.plot(fpr, tpr, label=f"{class_names[k]} (AUC {auc:.3f})")
        ax.plot([0, 1], [0, 1], "k:", lw=0.8)
        ax.set_title(method, fontsize=9)
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.legend(fontsize=7, loc="lower right")
    if not rocs:
        axes[0, 0].text(0.5, 0.5, "no method with soft memberships", ha="center", va="center")
        axes[0, 0].axis("off")
    fig.tight_layout()
    return fig


def importance_bars(table: pd.DataFrame, dataset: str) -> Figure:
    """Grouped bars: ARI drop per feature (colour) for each method, ± std over repeats."""
    methods = list(dict.fromkeys(table["method"]))
    features = list(dict.fromkeys(table["feature"]))
    width = 0.8 / len(features)
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(methods)), 3.4))
    for i, feat in enumerate(features):
        sub = table[table["feature"] == feat].set_index("method").loc[methods]
        ax.bar(np.arange(len(methods)) + i * width, sub["importance_mean"], width, yerr=sub["importance_std"],
               label=feat, capsize=2)
    ax.set_xticks(np.arange(len(methods)) + 0.4 - width / 2, methods, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("1 - ARI after permutation")
    ax.set_xlabel("method (bars: permuted feature)")
    ax.set_title(f"{dataset}: permutation feature importance (hatched methods use a surrogate)", fontsize=9)
    surrogate = table.groupby("method", sort=False)["via_surrogate"].first().loc[methods].to_numpy()
    for idx in np.flatnonzero(surrogate):
        ax.axvspan(idx - width / 2, idx + 0.8 - width / 2, color="grey", alpha=0.12, hatch="//", lw=0)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
