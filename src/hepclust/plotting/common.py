"""Shared figure plumbing: headless backend, atomic deterministic PNG output."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from hepclust.io import atomic_output  # noqa: E402

# Qualitative palette long enough for many clusters; grey is reserved for noise.
NOISE_COLOR = "#b0b0b0"


def cluster_colors(labels, cmap: str = "tab10"):
    """One colour per point: a fixed palette by label, grey for noise (-1)."""
    import numpy as np

    palette = plt.get_cmap(cmap)
    return [NOISE_COLOR if lab < 0 else palette(int(lab) % palette.N) for lab in np.asarray(labels)]


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = 110) -> None:
    """Save as PNG atomically, without the software-version metadata, then close."""
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png", metadata={"Software": None}, bbox_inches="tight")
    plt.close(fig)
