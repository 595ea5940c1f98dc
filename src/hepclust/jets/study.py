"""The jet study as the workflow runs it: one function per rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hepclust.errors import InputError
from hepclust.io import read_h5, write_h5
from hepclust.jets import benchmark
from hepclust.jets.cluster import Jets, cluster
from hepclust.jets.events import JETS_KIND, read_events, write_events
from hepclust.jets.generate import chunk_seed, generate
from hepclust.jets.reference import fastjet_inclusive
from hepclust.jets.validate import compare


def generate_chunk(out: str, process: str, settings: Sequence[str], n_events: int, base_seed: int, chunk: int,
                   ecm: float, noise: Mapping[str, Any]) -> None:
    seed = chunk_seed(base_seed, process, chunk)
    ev = generate(process, settings, n_events, seed, ecm, noise["per_event"], noise["mean_pt"], noise["max_rap"])
    write_events(out, ev, {"process": process, "settings": list(settings), "n_events": n_events, "seed": seed,
                           "base_seed": base_seed, "chunk": chunk, "ecm": ecm, "noise": dict(noise)})


def cluster_chunk(events_path: str, out: str, algorithm: str, r: float, ptmin: float, p: float | None) -> None:
    ev = read_events(events_path)
    jets = cluster(*ev.four_momenta(), ev.offsets, algorithm, r, p=p, ptmin=ptmin)
    write_h5(out, JETS_KIND, {"px": jets.px, "py": jets.py, "pz": jets.pz, "e": jets.e,
                              "n_constituents": jets.n_constituents, "offsets": jets.offsets,
                              "particle_jet": jets.particle_jet},
             {"algorithm": algorithm, "R": r, "ptmin": ptmin, "p": p, "events": events_path},
             {"algorithm": algorithm, "R": r, "ptmin": ptmin})


def read_jets(path: str) -> tuple[Jets, dict[str, Any]]:
    data, attrs = read_h5(path, JETS_KIND, required=("px", "py", "pz", "e", "offsets", "particle_jet"))
    return Jets(data["px"], data["py"], data["pz"], data["e"], data["n_constituents"], data["offsets"],
                data["particle_jet"]), attrs


def validation_table(pairs: Sequence[tuple[str, str, str]], p: float | None) -> pd.DataFrame:
    """For each (process, events file, jets file): cluster the events with FastJet and compare jet by jet."""
    rows = []
    for process, ev_path, jets_path in pairs:
        ev = read_events(ev_path)
        ours, attrs = read_jets(jets_path)
        if ours.offsets.size != ev.offsets.size:
            raise InputError(jets_path, f"has {ours.offsets.size - 1} events, {ev_path} has {ev.n_events}")
        ref = fastjet_inclusive(*ev.four_momenta(), ev.offsets, attrs["algorithm"], attrs["R"], p, attrs["ptmin"])
        c = compare(ours, ref)
        rows.append({"process": process, "file": jets_path, "algorithm": attrs["algorithm"], "R": attrs["R"],
                     "ptmin": attrs["ptmin"], **c.__dict__})
    table = pd.DataFrame(rows)
    return table


def summarise_validation(table: pd.DataFrame) -> pd.DataFrame:
    """Events whose jets differ, per algorithm and R, over all processes and chunks."""
    agg = table.groupby(["algorithm", "R"], sort=False).agg(
        n_events=("n_events", "sum"), n_jets=("n_jets", "sum"), n_events_differ=("n_events_differ", "sum"),
        max_rel_pt_diff=("max_rel_pt_diff", "max"), max_abs_y_diff=("max_abs_y_diff", "max"),
        max_abs_phi_diff=("max_abs_phi_diff", "max"))
    return agg.reset_index()


def benchmark_table(events_paths: Mapping[str, Sequence[str]], algorithms: Sequence[str], r: float, repeats: int,
                    multiplicities: Sequence[int], seed: int) -> pd.DataFrame:
    """Per-event times on the generated events (per process) and on synthetic events of fixed N."""
    rows = []
    for process, paths in events_paths.items():
        evs = [read_events(p) for p in paths]
        px, py, pz, e = (np.concatenate([getattr(v, c) for v in evs]) for c in ("px", "py", "pz", "e"))
        mult = np.concatenate([v.multiplicity() for v in evs])
        off = np.concatenate([[0], np.cumsum(mult)])
        for algorithm in algorithms:
            res = benchmark.time_both(px, py, pz, e, off, algorithm, r, repeats)
            rows.append({"source": process, "multiplicity": float(np.mean(mult)), "n_events": mult.size,
                         "algorithm": algorithm, "R": r, **res})
    for algorithm in algorithms:
        rows.extend(benchmark.scaling_table(multiplicities, algorithm, r, repeats, seed).to_dict("records"))
    return pd.DataFrame(rows)
