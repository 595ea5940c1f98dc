"""HEP figures of the jet study, in the mplhep (CMS-like) style."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import mplhep
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hepclust.jets.events import Jets
from hepclust.jets.kinematics import mass, rap_phi_pt
from hepclust.plotting.common import cluster_colors



def _hep_style(fn):
    """Draw in the mplhep ROOT style without changing matplotlib's global state for other figures."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with plt.style.context(mplhep.style.ROOT):
            return fn(*args, **kwargs)

    return wrapper


def _per_event(jets: Jets, values: np.ndarray, rank: int) -> np.ndarray:
    """Value of the rank-th (0 = leading) jet of every event that has that many jets."""
    n = np.diff(jets.offsets)
    has = n > rank
    return values[jets.offsets[:-1][has] + rank]


@_hep_style
def physics_panels(jets_by_process: Mapping[str, Jets], label: str) -> Figure:
    """Jet multiplicity, leading and subleading jet pT, leading jet mass, per process (unit-normalised)."""
    fig, axes = plt.subplots(1, 4, figsize=(22, 5.5))
    for process, jets in jets_by_process.items():
        _, _, pt = rap_phi_pt(jets.px, jets.py, jets.pz, jets.e)
        m = mass(jets.px, jets.py, jets.pz, jets.e)
        n = np.diff(jets.offsets)
        axes[0].hist(n, bins=np.arange(-0.5, max(n.max(), 1) + 1.5), histtype="step", density=True, label=process,
                     lw=2)
        for ax, values, rank in ((axes[1], pt, 0), (axes[2], pt, 1), (axes[3], m, 0)):
            v = _per_event(jets, values, rank)
            ax.hist(v, bins=30, range=(0, 800) if ax is not axes[3] else (0, 150), histtype="step", density=True,
                    label=process, lw=2)
    labels = (("number of jets", "fraction of events"),
              ("leading jet $p_T$ [GeV]", "fraction of events / GeV"),
              ("subleading jet $p_T$ [GeV]", "fraction of events / GeV"),
              ("leading jet mass [GeV]", "fraction of events / GeV"))
    for ax, (xl, yl) in zip(axes, labels):
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.xaxis.set_major_locator(plt.MaxNLocator(5))  # mplhep's large fonts crowd the default ticks
        ax.legend(fontsize=12)
    fig.suptitle(label, fontsize=16)
    fig.tight_layout()
    return fig


@_hep_style
def event_displays(px, py, pz, e, pid, labels_by_alg: Mapping[str, np.ndarray], r: float, title: str) -> Figure:
    """y-phi displays of one event, particles coloured by jet (grey: in no jet above pT_min), area ~ pT.

    Soft noise particles (pid 0) are drawn small; anti-kT jets come out round
    (cones of radius R around hard cores), kT and C/A jets ragged.
    """
    y, phi, pt = rap_phi_pt(px, py, pz, e)
    keep = np.abs(y) < 5
    fig, axes = plt.subplots(1, len(labels_by_alg), figsize=(7 * len(labels_by_alg), 6), squeeze=False)
    for ax, (alg, lab) in zip(axes.flat, labels_by_alg.items()):
        size = np.where(pid == 0, 4, 8 + 200 * np.sqrt(pt / pt.max()))
        ax.scatter(y[keep], phi[keep], s=size[keep], c=cluster_colors(lab[keep]), linewidths=0, alpha=0.85)
        ax.set_xlim(-5, 5)
        ax.set_ylim(0, 2 * np.pi)
        ax.set_xlabel("rapidity $y$")
        ax.set_ylabel(r"azimuth $\phi$ [rad]")
        ax.set_title(f"{alg}, R = {r}: {int(lab.max()) + 1 if lab.size else 0} jets", fontsize=14)
    fig.suptitle(title, fontsize=14)
    fig.tight_layout()
    return fig


@_hep_style
def benchmark_plot(table: pd.DataFrame) -> Figure:
    """Time per event vs multiplicity, one column per R: ours, FastJet's C++ core and FastJet through awkward,
    with the ratios ours / FastJet underneath.  Stars: Pythia events (mean multiplicity)."""
    radii = sorted(table["R"].unique())
    fig, axes = plt.subplots(2, len(radii), figsize=(9 * len(radii), 8), sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": [3, 1.3]})
    synth = table[table["source"] == "synthetic"]
    real = table[table["source"] != "synthetic"]
    for col, r in enumerate(radii):
        ax, axr = axes[0, col], axes[1, col]
        for alg, sub in synth[synth["R"] == r].groupby("algorithm", sort=False):
            sub = sub.sort_values("multiplicity")
            line = ax.plot(sub["multiplicity"], sub["ours_s_per_event"] * 1e3, "o-", label=f"hepclust {alg}")[0]
            c = line.get_color()
            if sub["fastjet_cpp_s_per_event"].notna().any():
                ax.plot(sub["multiplicity"], sub["fastjet_cpp_s_per_event"] * 1e3, "s--", color=c,
                        label=f"FastJet C++ {alg}")
                axr.plot(sub["multiplicity"], sub["ratio_cpp"], "o-", color=c, label="ours / FastJet C++")
            ax.plot(sub["multiplicity"], sub["fastjet_awkward_s_per_event"] * 1e3, "^:", color=c, alpha=0.6,
                    label=f"FastJet awkward {alg}")
            axr.plot(sub["multiplicity"], sub["ratio_awkward"], "^:", color=c, alpha=0.6,
                     label="ours / FastJet awkward")
        rr = real[real["R"] == r]
        ax.scatter(rr["multiplicity"], rr["ours_s_per_event"] * 1e3, marker="*", s=120, c="k", zorder=5,
                   label="hepclust, Pythia events")
        if rr["fastjet_cpp_s_per_event"].notna().any():
            ax.scatter(rr["multiplicity"], rr["fastjet_cpp_s_per_event"] * 1e3, marker="*", s=120,
                       facecolors="none", edgecolors="k", zorder=5, label="FastJet C++, Pythia events")
        axr.scatter(rr["multiplicity"], rr["ratio"], marker="*", s=80, c="k", zorder=5)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"R = {r:g}", fontsize=16)
        ax.set_ylabel("time per event [ms]")
        ax.legend(fontsize=10)
        axr.axhline(1, color="k", lw=1)
        axr.set_xlabel("particles per event")
        axr.set_ylabel("time ours / FastJet")
        axr.legend(fontsize=9)
    fig.tight_layout()
    return fig
