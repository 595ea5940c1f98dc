"""Rule-level helper of the LArTPC simulation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from hepclust.lartpc.simulate import CLASSES, Detector, Geometry, simulate
from hepclust.images import write_images


def simulate_to_file(out: str, n_events: int, fractions: Mapping[str, float], geometry: Mapping[str, Any],
                     detector: Mapping[str, Any], seed: int) -> None:
    geo = Geometry(int(geometry["width"]), int(geometry["height"]), float(geometry["pitch_cm"]))
    det = Detector(**detector)
    images, labels = simulate(n_events, fractions, geo, det, seed)
    write_images(out, images, labels, list(CLASSES),
                 {"n_events": n_events, "fractions": dict(fractions), "geometry": dict(geometry),
                  "detector": dict(detector), "seed": seed}, units="ke-")
