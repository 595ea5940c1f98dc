"""The jet study's two file kinds, side by side: collider events and the jets found in them.

Both are CSR: flat per-particle (or per-jet) arrays plus per-event offsets,
so a whole chunk of events is a handful of contiguous arrays that a numba
loop walks without any Python object per particle.  Each kind has the same
shape of API -- ``event(i)``, :func:`concat`, ``read_*`` / ``write_*`` -- so
rules and plots treat them alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from hepclust.errors import InputError
from hepclust.io import read_h5, write_h5

EVENTS_KIND = "collider_events"
JETS_KIND = "jets"


def _check_offsets(path: str, offsets: np.ndarray, n: int, what: str) -> None:
    if offsets.ndim != 1 or offsets.size < 1 or offsets[0] != 0 or offsets[-1] != n or np.any(np.diff(offsets) < 0):
        raise InputError(path, f"offsets are not a valid CSR index for {n} {what}")


def _concat_offsets(parts: Sequence[np.ndarray]) -> np.ndarray:
    counts = [np.diff(o) for o in parts]
    return np.concatenate([[0], np.cumsum(np.concatenate(counts))]).astype(np.int64)


@dataclass
class Events:
    """Particles of many events (kind ``collider_events``)."""

    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    pid: np.ndarray  # PDG id; 0 marks an added soft noise ("pileup") particle
    offsets: np.ndarray

    @classmethod
    def from_arrays(cls, px, py, pz, e, offsets, pid=None) -> Events:
        """Events from four-momentum arrays (pid 0 when not given: synthetic or test events)."""
        arr = [np.ascontiguousarray(a, dtype=np.float64) for a in (px, py, pz, e)]
        pid = np.zeros(arr[0].size, np.int64) if pid is None else np.asarray(pid, np.int64)
        return cls(*arr, pid, np.asarray(offsets, np.int64))

    @property
    def n_events(self) -> int:
        return int(self.offsets.size - 1)

    def multiplicity(self) -> np.ndarray:
        return np.diff(self.offsets)

    def four_momenta(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.px, self.py, self.pz, self.e

    def event(self, i: int) -> np.ndarray:
        """(n_particles, 4) array of (px, py, pz, E) of event i."""
        s = slice(self.offsets[i], self.offsets[i + 1])
        return np.column_stack([self.px[s], self.py[s], self.pz[s], self.e[s]])


@dataclass
class Jets:
    """Jets of many events (kind ``jets``): jet arrays sorted by decreasing pT within each event."""

    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    n_constituents: np.ndarray
    offsets: np.ndarray
    particle_jet: np.ndarray  # per input particle: index of its jet in its event, -1 if in none

    @property
    def n_events(self) -> int:
        return int(self.offsets.size - 1)

    def event(self, i: int) -> np.ndarray:
        """(n_jets, 4) array of (px, py, pz, E) of event i."""
        s = slice(self.offsets[i], self.offsets[i + 1])
        return np.column_stack([self.px[s], self.py[s], self.pz[s], self.e[s]])


def concat(parts: Sequence[Events] | Sequence[Jets]) -> Events | Jets:
    """Events (or jets) of several chunks as one, in order; offsets are re-based."""
    if not parts:
        raise ValueError("parts: nothing to concatenate")
    cls = type(parts[0])
    cols = {f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls) if f.name != "offsets"}
    return cls(offsets=_concat_offsets([p.offsets for p in parts]), **cols)


def write_events(path: str, ev: Events, params: Mapping[str, Any]) -> None:
    write_h5(path, EVENTS_KIND, {"px": ev.px, "py": ev.py, "pz": ev.pz, "e": ev.e, "pid": ev.pid,
                                  "offsets": ev.offsets}, params, {"n_events": ev.n_events})


def read_events(path: str) -> Events:
    data, _ = read_h5(path, EVENTS_KIND, required=("px", "py", "pz", "e", "pid", "offsets"))
    _check_offsets(path, data["offsets"], data["px"].size, "particles")
    return Events(data["px"], data["py"], data["pz"], data["e"], data["pid"], data["offsets"])


def write_jets(path: str, jets: Jets, params: Mapping[str, Any], attrs: Mapping[str, Any] | None = None) -> None:
    """``params``: the jet definition and selection that made them (read back by :func:`read_jets`)."""
    write_h5(path, JETS_KIND, {"px": jets.px, "py": jets.py, "pz": jets.pz, "e": jets.e,
                                "n_constituents": jets.n_constituents, "offsets": jets.offsets,
                                "particle_jet": jets.particle_jet}, params, attrs)


def read_jets(path: str) -> tuple[Jets, dict[str, Any]]:
    """Jets and the file's attributes (``attrs['params']``: the provenance given to :func:`write_jets`)."""
    data, attrs = read_h5(path, JETS_KIND,
                          required=("px", "py", "pz", "e", "n_constituents", "offsets", "particle_jet"))
    _check_offsets(path, data["offsets"], data["px"].size, "jets")
    return Jets(data["px"], data["py"], data["pz"], data["e"], data["n_constituents"], data["offsets"],
                data["particle_jet"]), attrs
