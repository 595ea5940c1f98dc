"""The jets benchmark's throughput measurement: a stream of events, the same jets as one at a time."""

from __future__ import annotations

import math

import numpy as np

from hepclust.jets import benchmark
from hepclust.jets.cluster import cluster
from hepclust.jets.definition import JetDefinition
from hepclust.jets.events import concat


def test_throughput_clusters_a_stream_of_at_least_the_minimum_events_without_fastjet():
    ev = benchmark.synthetic_events(150, 7, seed=3)
    row = benchmark.throughput(ev, JetDefinition("antikt", 0.4), threads=2, repeats=1, cpp=None)
    # whole copies of the sample, enough of them to reach the minimum
    n = row["parallel_events_per_pass"]
    assert n % ev.n_events == 0 and n >= benchmark.THROUGHPUT_MIN_EVENTS > n - ev.n_events
    assert row["ours_parallel_events_per_s"] > 0 and math.isnan(row["fastjet_cpp_events_per_s"])


def test_the_repeated_stream_gives_every_copy_the_jets_of_the_sample():
    ev = benchmark.synthetic_events(150, 7, seed=3)
    d = JetDefinition("antikt", 0.4)
    once = cluster(ev, d)
    stream = cluster(concat([ev] * 3), d, threads=2)
    assert np.array_equal(stream.px, np.concatenate([once.px] * 3))
    assert np.array_equal(np.diff(stream.offsets), np.concatenate([np.diff(once.offsets)] * 3))
