"""The jets benchmark's throughput measurement: a stream of events, the same jets as one at a time."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from hepclust.jets import benchmark
from hepclust.jets.cluster import cluster
from hepclust.jets.definition import JetDefinition
from hepclust.jets.events import concat
from hepclust.jets.reference import CppTimer, build_harness, find_compiler


def test_throughput_clusters_a_stream_of_at_least_the_minimum_events_without_fastjet():
    ev = benchmark.synthetic_events(150, 7, seed=3)
    row = benchmark.throughput(ev, JetDefinition("antikt", 0.4), threads=2, repeats=1, cpps=())
    # whole copies of the sample, enough of them to reach the minimum
    n = row["parallel_events_per_pass"]
    assert n % ev.n_events == 0 and n >= benchmark.THROUGHPUT_MIN_EVENTS > n - ev.n_events
    assert row["ours_parallel_events_per_s"] > 0 and math.isnan(row["fastjet_cpp_events_per_s"])
    assert math.isnan(row["fastjet_cpp_processes_events_per_s"])


def test_the_repeated_stream_gives_every_copy_the_jets_of_the_sample():
    ev = benchmark.synthetic_events(150, 7, seed=3)
    d = JetDefinition("antikt", 0.4)
    once = cluster(ev, d)
    stream = cluster(concat([ev] * 3), d, threads=2)
    assert np.array_equal(stream.px, np.concatenate([once.px] * 3))
    assert np.array_equal(np.diff(stream.offsets), np.concatenate([np.diff(once.offsets)] * 3))


def test_the_benchmark_joins_the_one_thread_timings_and_the_events_per_second_per_process_and_definition(
        tmp_path, monkeypatch):
    """jets_timing and jets_benchmark are two rules (one may share the machine, the other needs its cores): the
    events/s land on their own process and definition's row, through the CSV between the rules; synthetic rows
    have none.  Without the C++ harness (tested in test_jets_cluster) the columns say the reference is awkward."""
    from hepclust.io import read_csv, write_csv
    from hepclust.jets import study
    from hepclust.jets.events import write_events

    monkeypatch.setattr(study, "build_harness", lambda build_dir: None)
    events = {}
    for i, (name, n) in enumerate([("a", 60), ("b", 200)]):
        path = str(tmp_path / f"{name}.h5")
        write_events(path, benchmark.synthetic_events(n, 3, seed=i), {"seed": i})
        events[name] = [path]
    timing = study.timing_table(events, ["antikt", "kt"], [0.4, 1.0], 1, [100, 300], "antikt", 1, 300, 5,
                                str(tmp_path))
    assert len(timing) == 2 * 4 + 2 * 2 and set(timing.reference) == {benchmark.AWKWARD_ONLY}
    write_csv(tmp_path / "timing.csv", timing)
    timing = read_csv(tmp_path / "timing.csv")
    table = study.throughput_table(timing, events, ["antikt", "kt"], [0.4, 1.0], 1, 2, str(tmp_path))
    assert table[list(timing.columns)].equals(timing)  # the timings untouched, row for row
    per_process = table[table.source != "synthetic"]
    assert per_process.ours_parallel_events_per_s.gt(0).all() and (per_process.threads == 2).all()
    # each row's events/s came from its own events: the stream is 400 events of 3, in whole copies
    assert (per_process.parallel_events_per_pass == 402).all()
    assert table[table.source == "synthetic"].ours_parallel_events_per_s.isna().all()


class _FakeHarness:
    """Stands in for a running C++ harness: each pass takes ``secs`` and, when given a barrier, waits there
    for the other harnesses' passes, so passes that were not started at once never get past it."""

    def __init__(self, secs: float, barrier: threading.Barrier | None = None) -> None:
        self.secs, self.barrier, self.calls = secs, barrier, 0

    def time(self, definition):
        self.calls += 1
        if self.barrier is not None:
            self.barrier.wait(timeout=10)
        return self.secs, 1, "N2Plain"


def test_fastjet_in_as_many_processes_as_threads_runs_them_at_once_and_the_slowest_sets_the_rate(monkeypatch):
    """FastJet is single-threaded and scales on a node by one process per core: ``threads`` harnesses run their
    passes at once (a barrier they must all reach), and the node's events/s is set by the slowest pass."""
    ev = benchmark.synthetic_events(50, 10, seed=1)
    alone, together = _FakeHarness(0.010), threading.Barrier(2)
    first, second = _FakeHarness(0.010, together), _FakeHarness(0.025, together)
    calls: list[object] = []
    real_time = first.time

    def first_time(definition):  # the first harness's passes alternate: alone (no barrier), then together
        calls.append(None)
        return alone.time(definition) if len(calls) % 2 else real_time(definition)

    monkeypatch.setattr(first, "time", first_time)
    row = benchmark.throughput(ev, JetDefinition("antikt", 0.4), threads=2, repeats=1, cpps=(first, second))
    passes = benchmark.THROUGHPUT_MIN_REPEATS
    assert alone.calls == first.calls == second.calls == passes
    assert row["fastjet_cpp_events_per_s"] == pytest.approx(10 / 0.010)
    assert row["fastjet_cpp_processes_events_per_s"] == pytest.approx(2 * 10 / 0.025)
    assert row["speedup_vs_fastjet_processes"] == pytest.approx(row["ours_parallel_events_per_s"] / 800)
    with pytest.raises(ValueError, match="1 FastJet processes to compare with 2 threads"):
        benchmark.throughput(ev, JetDefinition("antikt", 0.4), threads=2, repeats=1, cpps=(alone,))


@pytest.mark.skipif(find_compiler() is None, reason="no C++ compiler: no FastJet C++ harness to run")
def test_the_real_harness_in_two_processes_gives_the_node_throughput_columns(tmp_path):
    ev = benchmark.synthetic_events(300, 40, seed=1)
    binary = build_harness(tmp_path)
    with CppTimer(binary, tmp_path) as one, CppTimer(binary, tmp_path) as two:
        for cpp in (one, two):
            cpp.load(*ev.four_momenta(), ev.offsets)
        row = benchmark.throughput(ev, JetDefinition("antikt", 0.4), threads=2, repeats=1, cpps=(one, two))
    assert row["fastjet_cpp_processes_events_per_s"] > 0 and row["fastjet_cpp_events_per_s"] > 0
    assert row["speedup_vs_fastjet_processes"] == pytest.approx(
        row["ours_parallel_events_per_s"] / row["fastjet_cpp_processes_events_per_s"])
