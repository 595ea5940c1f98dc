"""Event generation with Pythia 8 (pythia8mc): visible final-state particles per event.

Each process is a list of Pythia settings strings from the config, so any
process Pythia knows can be added without code.  Every chunk gets its own
seed, derived from the base seed, the process name and the chunk number, so
chunks are independent, parallel and reproducible.  Neutrinos (and any other
invisible particle) are dropped: a detector would not see them.  Optional soft
noise particles (uniform in y and phi, exponential pT) stand in for pileup /
underlying noise and show which algorithms are stable against it.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence

import numpy as np

from hepclust.errors import ConfigError
from hepclust.jets.events import Events

log = logging.getLogger(__name__)
PYTHIA_MAX_SEED = 900_000_000


def chunk_seed(base_seed: int, process: str, chunk: int) -> int:
    """A Pythia seed (1..9e8) unique to (base seed, process, chunk), stable across Python runs."""
    return 1 + (base_seed * 1_000_003 + zlib.crc32(process.encode()) + 7919 * chunk) % (PYTHIA_MAX_SEED - 1)


def generate(
    process: str, settings: Sequence[str], n_events: int, seed: int, ecm: float, noise_per_event: int = 0,
    noise_mean_pt: float = 0.5, noise_max_rap: float = 4.0,
) -> Events:
    """Generate ``n_events`` with Pythia 8 and return their visible final-state particles."""
    import pythia8mc

    pythia = pythia8mc.Pythia("", False)
    base = ["Print:quiet = on", "Next:numberCount = 0", f"Beams:eCM = {ecm}", "Random:setSeed = on",
            f"Random:seed = {seed}"]
    for s in [*base, *settings]:
        if not pythia.readString(s):
            raise ConfigError(f"jets.processes.{process}", f"Pythia does not accept the setting '{s}'")
    if not pythia.init():
        raise ConfigError(f"jets.processes.{process}", "Pythia failed to initialise with these settings")
    rng = np.random.default_rng(seed)
    cols: list[list[float]] = [[], [], [], [], []]
    offsets = [0]
    n_failed = 0
    while len(offsets) - 1 < n_events:
        if not pythia.next():
            n_failed += 1
            if n_failed > 10 * n_events + 100:
                raise RuntimeError(f"Pythia failed {n_failed} times generating '{process}'")
            continue
        count = 0
        for prt in pythia.event:
            if prt.isFinal() and prt.isVisible():
                cols[0].append(prt.px())
                cols[1].append(prt.py())
                cols[2].append(prt.pz())
                cols[3].append(prt.e())
                cols[4].append(prt.id())
                count += 1
        if noise_per_event:
            pt = rng.exponential(noise_mean_pt, noise_per_event)
            y = rng.uniform(-noise_max_rap, noise_max_rap, noise_per_event)
            phi = rng.uniform(0.0, 2 * np.pi, noise_per_event)
            cols[0].extend(pt * np.cos(phi))
            cols[1].extend(pt * np.sin(phi))
            cols[2].extend(pt * np.sinh(y))
            cols[3].extend(pt * np.cosh(y))
            cols[4].extend([0] * noise_per_event)
            count += noise_per_event
        offsets.append(offsets[-1] + count)
    log.info("%s: %d events, %d failed, sigma_gen = %.4g mb", process, n_events, n_failed, pythia.infoPython().sigmaGen())
    arr = [np.asarray(c, dtype=np.float64) for c in cols[:4]]
    return Events(*arr, np.asarray(cols[4], dtype=np.int64), np.asarray(offsets, dtype=np.int64))
