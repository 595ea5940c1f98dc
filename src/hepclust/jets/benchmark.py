"""Time per event of our clustering and of FastJet, side by side on the same events.

The reference is FastJet's C++ core, timed by a harness compiled against the
``fastjet`` wheel's libfastjet (:mod:`hepclust.jets.reference`): only
``ClusterSequence`` + ``inclusive_jets`` inside ``std::chrono``, Best strategy.
FastJet through its awkward interface is kept as a second column, because it
is what a Python user calls, but its array conversions are inside its time;
without a C++ compiler it is the only column, and every row says which
reference its ``ratio`` uses.

Both sides run single-threaded for the per-event times; repeats are
interleaved (ours, C++, awkward, ours, ...) so all see the same machine load,
and medians are kept.  Separately, events/s of our clustering on ``threads``
threads is compared with FastJet's C++ on one: a stream of events, as a
production job clusters them (:func:`throughput`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from hepclust.jets.cluster import cluster
from hepclust.jets.definition import JetDefinition
from hepclust.jets.events import Events, concat
from hepclust.jets.reference import CppTimer, events_to_awkward

log = logging.getLogger(__name__)

CPP = "fastjet C++"
AWKWARD_ONLY = "fastjet awkward (no C++ compiler)"
# Events/s on all threads is a throughput: each timed pass clusters at least this many events (the sample's
# events repeated), so that starting the threads and the Python call around the kernel -- fixed costs per
# call -- are not what a pass of 80 events (about 25 ms on 2 threads) mostly measures; and at least this many
# interleaved repeats, since a median of 3 moved by up to 40 % between runs.
THROUGHPUT_MIN_EVENTS = 400
THROUGHPUT_MIN_REPEATS = 5


def _wall(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


@dataclass
class Timings:
    """Median seconds per event of each side (NaN where not measured) and FastJet's chosen strategy."""

    ours: float
    cpp: float
    awkward: float
    strategy: str
    cpp_n_jets: int  # jets FastJet C++ found: a check that both sides clustered the same events

    def row(self) -> dict[str, object]:
        ref = self.cpp if not math.isnan(self.cpp) else self.awkward
        return {"ours_s_per_event": self.ours, "fastjet_cpp_s_per_event": self.cpp,
                "fastjet_awkward_s_per_event": self.awkward, "ratio_cpp": self.ours / self.cpp,
                "ratio_awkward": self.ours / self.awkward, "ratio": self.ours / ref,
                "reference": CPP if not math.isnan(self.cpp) else AWKWARD_ONLY, "fastjet_strategy": self.strategy}


def time_both(events: Events, definition: JetDefinition, repeats: int, cpp: CppTimer | None,
              ptmin: float = 0.0, warmup: bool = True) -> Timings:
    """Median seconds per event: ours (one thread), FastJet C++ (when ``cpp``), FastJet awkward.

    ``cpp`` must have these events loaded.  With ``warmup`` the first call of
    each side is not timed (numba compiles, caches fill); on events of many
    thousand particles, after smaller ones, that would only double the cost.
    """
    import fastjet

    n_events = events.n_events
    arr = events_to_awkward(*events.four_momenta(), events.offsets)
    jd = definition.fastjet()
    ours_fn = lambda: cluster(events, definition, ptmin=ptmin)  # noqa: E731
    awk_fn = lambda: fastjet.ClusterSequence(arr, jd).inclusive_jets(ptmin)  # noqa: E731
    strategy, n_jets = "unknown", -1
    if warmup:
        ours_fn()
        awk_fn()
        if cpp is not None:
            cpp.time(definition, ptmin)
    t_ours, t_cpp, t_awk = [], [], []
    for _ in range(repeats):
        t_ours.append(_wall(ours_fn))
        if cpp is not None:
            secs, n_jets, strategy = cpp.time(definition, ptmin)
            t_cpp.append(secs)
        t_awk.append(_wall(awk_fn))
    if cpp is not None:
        # the first event's strategy is not enough: report what Best chose across the events
        chosen = cpp.strategies(definition)
        names, counts = np.unique(chosen, return_counts=True)
        strategy = "+".join(f"{name}:{c}" for name, c in zip(names, counts)) if names.size > 1 else str(names[0])
    med = lambda t: float(np.median(t)) / n_events if t else math.nan  # noqa: E731
    return Timings(med(t_ours), med(t_cpp), med(t_awk), strategy, n_jets)


def throughput(events: Events, definition: JetDefinition, threads: int, repeats: int,
               cpps: Sequence[CppTimer]) -> dict[str, float]:
    """Events/s of ours on ``threads`` threads over a stream of the events (repeated to at least
    THROUGHPUT_MIN_EVENTS per pass), of FastJet C++ on one thread (``cpps[0]``) and of FastJet C++ in
    ``threads`` processes at once (``cpps``, each with the events loaded, one pass each: the pass ends when
    the last one does); passes interleaved, at least THROUGHPUT_MIN_REPEATS of each, medians.  FastJet's
    loop has no per-pass cost to amortise.

    Why FastJet in several processes: FastJet is single-threaded, so on a node it scales by running one
    process per core.  Ours on N threads against FastJet on one is how much a thread pool buys; against N
    FastJet processes on the same cores it is how many more events the node clusters: the comparison
    that does not flatter us.  Without ``cpps`` (no C++ compiler) the FastJet columns are NaN."""
    if cpps and len(cpps) != threads:
        raise ValueError(f"{len(cpps)} FastJet processes to compare with {threads} threads")
    copies = max(1, math.ceil(THROUGHPUT_MIN_EVENTS / max(events.n_events, 1)))
    stream = concat([events] * copies) if copies > 1 else events
    cluster(stream, definition, threads=threads)
    t_ours, t_cpp, t_cpp_all = [], [], []
    with ThreadPoolExecutor(max_workers=max(len(cpps), 1)) as pool:
        for _ in range(max(repeats, THROUGHPUT_MIN_REPEATS)):
            t_ours.append(_wall(lambda: cluster(stream, definition, threads=threads)))
            if cpps:
                t_cpp.append(cpps[0].time(definition)[0])
                # each harness times its own pass; they run at once, so the last to finish sets the pace
                t_cpp_all.append(max(secs for secs, _, _ in pool.map(lambda c: c.time(definition), cpps)))
    ours = stream.n_events / float(np.median(t_ours))
    ref = events.n_events / float(np.median(t_cpp)) if t_cpp else math.nan
    ref_all = len(cpps) * events.n_events / float(np.median(t_cpp_all)) if t_cpp_all else math.nan
    return {"threads": threads, "parallel_events_per_pass": stream.n_events, "ours_parallel_events_per_s": ours,
            "fastjet_cpp_events_per_s": ref, "parallel_speedup_vs_fastjet": ours / ref,
            "fastjet_cpp_processes_events_per_s": ref_all, "speedup_vs_fastjet_processes": ours / ref_all}


def synthetic_events(n_particles: int, n_events: int, seed: int, max_rap: float = 4.0) -> Events:
    """Events of exactly ``n_particles`` pions, uniform in y and phi, exponential pT (mean 2 GeV)."""
    rng = np.random.default_rng(seed)
    shape = (n_events, n_particles)
    pt = rng.exponential(2.0, shape) + 0.1
    y = rng.uniform(-max_rap, max_rap, shape)
    phi = rng.uniform(0, 2 * np.pi, shape)
    mt = np.sqrt(pt**2 + 0.13957**2)
    arrays = [a.ravel() for a in (pt * np.cos(phi), pt * np.sin(phi), mt * np.sinh(y), mt * np.cosh(y))]
    return Events.from_arrays(*arrays, np.arange(n_events + 1, dtype=np.int64) * n_particles)


def scaling_rows(multiplicities: Sequence[int], definition: JetDefinition, repeats: int, large_n_repeats: int,
                 particles_per_point: int, seed: int, cpp: CppTimer | None) -> list[dict[str, object]]:
    """Per-event times on synthetic events of fixed multiplicity; from 10,000 particles on, ``large_n_repeats``
    and no warm-up (each pass there is seconds, compiling is done, and the run-to-run spread is small)."""
    rows = []
    for n in multiplicities:
        n_events = max(1, particles_per_point // n)
        ev = synthetic_events(n, n_events, seed + n)
        if cpp is not None:
            cpp.load(*ev.four_momenta(), ev.offsets)
        reps = repeats if n < 10_000 else min(repeats, large_n_repeats)
        t = time_both(ev, definition, reps, cpp, warmup=n < 10_000)
        log.info("synthetic N=%d %s: ours/C++ %.3f, ours/awkward %.3f (%s)", n, definition, t.row()["ratio_cpp"],
                 t.row()["ratio_awkward"], t.strategy)
        rows.append({"source": "synthetic", "multiplicity": n, "n_events": n_events, "algorithm": definition.algorithm,
                     "R": definition.R, "repeats": reps, **t.row()})
    return rows
