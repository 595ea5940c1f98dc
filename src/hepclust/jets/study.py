"""The jet study as the workflow runs it: one function per rule.

This is the one boundary between config and library: the library raises
:class:`JetArgumentError` naming its own argument (``algorithm``, ``R``...),
and :func:`config_keys` turns it into a :class:`ConfigError` naming the config
key the value came from.  Ranges, enums and defaults are checked once, by the
JSON schema; nothing here re-checks them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from hepclust.errors import ConfigError, InputError
from hepclust.jets import benchmark
from hepclust.jets.cluster import cluster
from hepclust.jets.definition import JetArgumentError, JetDefinition
from hepclust.jets.events import Events, concat, read_events, read_jets, write_events, write_jets
from hepclust.jets.generate import chunk_seed, generate
from hepclust.jets.reference import CppTimer, build_harness, fastjet_inclusive
from hepclust.jets.validate import compare

log = logging.getLogger(__name__)

# library argument -> config key, for the rules that cluster
CLUSTER_KEYS = {"algorithm": "jets.algorithms", "R": "jets.radii", "p": "jets.genkt_p", "ptmin": "jets.ptmin"}


@contextlib.contextmanager
def config_keys(keys: Mapping[str, str]) -> Iterator[None]:
    """Re-raise the library's argument errors as config errors naming the key (``keys``: argument -> key)."""
    try:
        yield
    except JetArgumentError as exc:
        if exc.argument not in keys:
            raise
        raise ConfigError(keys[exc.argument], exc.reason) from exc


def generate_chunk(out: str, process: str, settings: Sequence[str], n_events: int, base_seed: int, chunk: int,
                   ecm: float, noise: Mapping[str, Any]) -> None:
    seed = chunk_seed(base_seed, process, chunk)
    ev = generate(process, settings, n_events, seed, ecm, noise["per_event"], noise["mean_pt"], noise["max_rap"])
    write_events(out, ev, {"process": process, "settings": list(settings), "n_events": n_events, "seed": seed,
                           "base_seed": base_seed, "chunk": chunk, "ecm": ecm, "noise": dict(noise)})


def cluster_chunk(events_path: str, outs: Sequence[str], definitions: Sequence[tuple[str, float, float | None]],
                  ptmin: float) -> None:
    """Our inclusive jets of one chunk for every jet definition (algorithm, R, p), one file each (``outs`` in
    the same order); each file's provenance records its jet definition and pT_min.

    One job per chunk, not per definition: clustering a chunk takes ~0.1 s, a job's start (imports, numba's
    cache) ~5 s, so 48 jobs of the default config spent 272 s mostly starting."""
    if len(outs) != len(definitions):
        raise ValueError(f"{len(outs)} output files for {len(definitions)} jet definitions")
    events = read_events(events_path)
    for out, (algorithm, r, p) in zip(outs, definitions):
        with config_keys(CLUSTER_KEYS):
            definition = JetDefinition(algorithm, r, p)
            jets = cluster(events, definition, ptmin=ptmin)
        write_jets(out, jets, {**definition.params(), "ptmin": ptmin, "events": events_path},
                   {"algorithm": algorithm, "R": r, "ptmin": ptmin})


def validation_table(jets_by_process: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Each jets file compared jet by jet with FastJet on its events, using the events file, jet definition
    and pT_min recorded in its provenance (so nothing is taken from the config a second time)."""
    rows = []
    for process, paths in jets_by_process.items():
        for path in paths:
            ours, attrs = read_jets(path)
            try:
                definition = JetDefinition.from_params(attrs["params"])
                ptmin = float(attrs["params"]["ptmin"])
                events_path = attrs["params"]["events"]
            except (KeyError, JetArgumentError) as exc:
                raise InputError(path, f"provenance lacks a valid jet definition, ptmin or events ({exc})") from exc
            ev = read_events(events_path)
            if ours.n_events != ev.n_events:
                raise InputError(path, f"has {ours.n_events} events, {events_path} has {ev.n_events}")
            ref = fastjet_inclusive(*ev.four_momenta(), ev.offsets, definition, ptmin)
            c = compare(ours, ref)
            rows.append({"process": process, "file": path, "algorithm": definition.algorithm, "R": definition.R,
                         "ptmin": ptmin, **c.__dict__})
    return pd.DataFrame(rows)


def summarise_validation(table: pd.DataFrame) -> pd.DataFrame:
    """Events whose jets differ, per algorithm and R, over all processes and chunks."""
    agg = table.groupby(["algorithm", "R"], sort=False).agg(
        n_events=("n_events", "sum"), n_jets=("n_jets", "sum"), n_events_differ=("n_events_differ", "sum"),
        max_rel_pt_diff=("max_rel_pt_diff", "max"), max_abs_y_diff=("max_abs_y_diff", "max"),
        max_abs_phi_diff=("max_abs_phi_diff", "max"))
    return agg.reset_index()


def _cpp_timers(stack: contextlib.ExitStack, build_dir: str, n: int) -> list[CppTimer]:
    """``n`` running harnesses of FastJet's C++ core, compiled once into ``build_dir`` (reused when built);
    none without a compiler."""
    binary = build_harness(build_dir)
    if binary is None:
        log.warning("no C++ compiler found (CXX, g++, c++, clang++): timing FastJet through its awkward interface "
                    "only; column 'reference' says so")
        return []
    return [stack.enter_context(CppTimer(binary, build_dir)) for _ in range(n)]


def _each_process_and_definition(events: Mapping[str, Sequence[str]], algorithms: Sequence[str],
                                 radii: Sequence[float], cpps: Sequence[CppTimer]
                                 ) -> Iterator[tuple[str, Events, JetDefinition]]:
    """Every (process, its events, definition) the benchmark times; each process's events are read once and
    loaded into each of FastJet's C++ harnesses ``cpps`` before its definitions are timed."""
    with config_keys({"algorithm": "jets.benchmark.algorithms", "R": "jets.benchmark.radii"}):
        definitions = [JetDefinition(algorithm, r) for algorithm in algorithms for r in radii]
    for process, paths in events.items():
        ev: Events = concat([read_events(p) for p in paths])
        for cpp in cpps:
            cpp.load(*ev.four_momenta(), ev.offsets)
        for definition in definitions:
            yield process, ev, definition


def timing_table(events: Mapping[str, Sequence[str]], algorithms: Sequence[str], radii: Sequence[float],
                 repeats: int, multiplicities: Sequence[int], scaling_algorithm: str, large_n_repeats: int,
                 particles_per_point: int, seed: int, build_dir: str) -> pd.DataFrame:
    """Ours vs FastJet (C++ core, and awkward interface), one thread each, per process and on synthetic events.

    ``events``: process -> its event files.  Per process and (algorithm, R):
    median seconds per event.  Synthetic: ``scaling_algorithm`` at every R and
    multiplicity.  Without a C++ compiler the C++ columns are NaN and
    ``reference`` says the ratio is against the awkward interface.  Single-threaded
    on purpose, so that it can share a machine (see :func:`throughput_table`).
    """
    rows: list[dict[str, object]] = []
    with contextlib.ExitStack() as stack:
        cpps = _cpp_timers(stack, build_dir, 1)
        cpp = cpps[0] if cpps else None
        for process, ev, definition in _each_process_and_definition(events, algorithms, radii, cpps):
            t = benchmark.time_both(ev, definition, repeats, cpp)
            log.info("%s %s: ours/C++ %.3f, ours/awkward %.3f, FastJet strategy %s", process, definition,
                     t.row()["ratio_cpp"], t.row()["ratio_awkward"], t.strategy)
            rows.append({"source": process, "multiplicity": float(ev.multiplicity().mean()),
                         "n_events": ev.n_events, "algorithm": definition.algorithm, "R": definition.R,
                         "repeats": repeats, **t.row()})
        for r in radii:
            definition = JetDefinition(scaling_algorithm, r)
            rows.extend(benchmark.scaling_rows(multiplicities, definition, repeats, large_n_repeats,
                                               particles_per_point, seed, cpp))
    return pd.DataFrame(rows)


def throughput_table(timing: pd.DataFrame, events: Mapping[str, Sequence[str]], algorithms: Sequence[str],
                     radii: Sequence[float], repeats: int, threads: int, build_dir: str) -> pd.DataFrame:
    """The timing table with, per process and (algorithm, R), events/s of ours on ``threads`` threads against
    FastJet C++ on one thread and in ``threads`` processes at once.  A separate step from :func:`timing_table`
    because it is the one measurement that needs the cores to itself: the one-thread timings ran beside another
    job (median ours/C++ 0.665 with a training on the other core against 0.663 alone, 2026-11-30) and need not
    hold a whole machine."""
    rows: list[dict[str, object]] = []
    with contextlib.ExitStack() as stack:
        cpps = _cpp_timers(stack, build_dir, threads)
        for process, ev, definition in _each_process_and_definition(events, algorithms, radii, cpps):
            row = benchmark.throughput(ev, definition, threads, repeats, cpps)
            log.info("%s %s: %d threads: %.0f events/s = %.2f x FastJet C++ on one thread, %.2f x on %d processes",
                     process, definition, threads, row["ours_parallel_events_per_s"],
                     row["parallel_speedup_vs_fastjet"], row["speedup_vs_fastjet_processes"], threads)
            rows.append({"source": process, "algorithm": definition.algorithm, "R": definition.R, **row})
    if not rows:
        return timing
    return timing.merge(pd.DataFrame(rows), on=["source", "algorithm", "R"], how="left", validate="many_to_one")
