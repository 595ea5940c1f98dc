"""Time per event of our clustering and of FastJet, side by side on the same events.

Both run their event loop in compiled code (our numba loop; FastJet's C++
loop behind the awkward interface), single-threaded, on identical inputs.
Each measurement is repeated and the median is kept, because these machines
are shared and noisy; the ratio ours / FastJet from the same run is the
number to quote.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from hepclust.jets.cluster import cluster
from hepclust.jets.reference import events_to_awkward, jet_definition


def _median_times(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Median wall time of each function, interleaved repeat by repeat so both see the same machine load."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, t_list in zip(fns, times):
            t = time.perf_counter()
            fn()
            t_list.append(time.perf_counter() - t)
    return [float(np.median(t)) for t in times]


def time_both(px, py, pz, e, offsets, algorithm: str, r: float, repeats: int) -> dict[str, float]:
    """Median seconds per event for ours and for FastJet (default strategy) on the same events."""
    import fastjet

    n_events = offsets.size - 1
    arr = events_to_awkward(px, py, pz, e, offsets)
    jd = jet_definition(algorithm, r, None)
    cluster(px, py, pz, e, offsets, algorithm, r)  # compile outside the timing
    ours, ref = _median_times([lambda: cluster(px, py, pz, e, offsets, algorithm, r),
                               lambda: fastjet.ClusterSequence(arr, jd).inclusive_jets()], repeats)
    return {"ours_s_per_event": ours / n_events, "fastjet_s_per_event": ref / n_events, "ratio": ours / ref}


def synthetic_events(n_particles: int, n_events: int, seed: int, max_rap: float = 4.0):
    """Events of exactly ``n_particles`` pions, uniform in y and phi, exponential pT (mean 2 GeV)."""
    rng = np.random.default_rng(seed)
    shape = (n_events, n_particles)
    pt = rng.exponential(2.0, shape) + 0.1
    y = rng.uniform(-max_rap, max_rap, shape)
    phi = rng.uniform(0, 2 * np.pi, shape)
    mt = np.sqrt(pt**2 + 0.13957**2)
    arrays = [a.ravel() for a in (pt * np.cos(phi), pt * np.sin(phi), mt * np.sinh(y), mt * np.cosh(y))]
    return (*arrays, np.arange(n_events + 1, dtype=np.int64) * n_particles)


def scaling_table(multiplicities, algorithm: str, r: float, repeats: int, seed: int,
                  particles_per_batch: int = 40_000) -> pd.DataFrame:
    rows = []
    for n in multiplicities:
        n_events = max(3, particles_per_batch // n)
        res = time_both(*synthetic_events(n, n_events, seed), algorithm, r, repeats)
        rows.append({"source": "synthetic", "multiplicity": n, "n_events": n_events, "algorithm": algorithm,
                     "R": r, **res})
    return pd.DataFrame(rows)
