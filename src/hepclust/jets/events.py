"""Collider events in CSR form: flat particle arrays plus per-event offsets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from hepclust.errors import InputError
from hepclust.io import read_h5, write_h5

EVENTS_KIND = "collider_events"
JETS_KIND = "jets"


@dataclass
class Events:
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    pid: np.ndarray  # PDG id; 0 marks an added soft noise ("pileup") particle
    offsets: np.ndarray

    @property
    def n_events(self) -> int:
        return int(self.offsets.size - 1)

    def multiplicity(self) -> np.ndarray:
        return np.diff(self.offsets)

    def four_momenta(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.px, self.py, self.pz, self.e


def write_events(path: str, ev: Events, params: Mapping[str, Any]) -> None:
    write_h5(path, EVENTS_KIND, {"px": ev.px, "py": ev.py, "pz": ev.pz, "e": ev.e, "pid": ev.pid,
                                  "offsets": ev.offsets}, params, {"n_events": ev.n_events})


def read_events(path: str) -> Events:
    data, _ = read_h5(path, EVENTS_KIND, required=("px", "py", "pz", "e", "pid", "offsets"))
    off = data["offsets"]
    n = data["px"].size
    if off.ndim != 1 or off.size < 1 or off[0] != 0 or off[-1] != n or np.any(np.diff(off) < 0):
        raise InputError(path, f"offsets are not a valid CSR index for {n} particles")
    return Events(data["px"], data["py"], data["pz"], data["e"], data["pid"], off)
