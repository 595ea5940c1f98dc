"""Rule-level helpers of the LArTPC simulation and the digits benchmark images."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from hepclust.lartpc.simulate import CLASSES, Detector, Geometry, simulate
from hepclust.lartpc.store import write_images


def simulate_to_file(out: str, n_events: int, fractions: Mapping[str, float], geometry: Mapping[str, Any],
                     detector: Mapping[str, Any], seed: int) -> None:
    geo = Geometry(int(geometry["width"]), int(geometry["height"]), float(geometry["pitch_cm"]))
    det = Detector(**detector)
    images, labels = simulate(n_events, fractions, geo, det, seed)
    write_images(out, images, labels, list(CLASSES),
                 {"n_events": n_events, "fractions": dict(fractions), "geometry": dict(geometry),
                  "detector": dict(detector), "seed": seed}, units="ke-")


def digits_to_file(out: str, size: int, n_samples: int | None) -> None:
    """scikit-learn's 8x8 handwritten digits (shipped in the wheel), upsampled to size x size for the CNN."""
    import torch
    from sklearn.datasets import load_digits

    d = load_digits()
    images, labels = d.images.astype(np.float32), d.target.astype(np.int64)
    if n_samples is not None:
        images, labels = images[:n_samples], labels[:n_samples]
    up = torch.nn.functional.interpolate(torch.from_numpy(images)[:, None], size=(size, size), mode="bilinear",
                                         align_corners=False)[:, 0].numpy()
    write_images(out, np.clip(up, 0, None), labels, [str(i) for i in range(10)],
                 {"size": size, "n_samples": n_samples, "source": "sklearn.datasets.load_digits"},
                 units="grey level (0-16)")
