"""Rule-level helpers of the LArTPC simulation: the one place mapping library errors to config keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hepclust.errors import ConfigError
from hepclust.images import write_images, write_manifest
from hepclust.lartpc.shards import n_shards, shard_range
from hepclust.lartpc.simulate import CLASSES, SPLIT_IDS, Detector, Geometry, simulate


def shard_count(n_events: int, shard_size: int, split: str) -> int:
    """Shards of a split, for the workflow's DAG; bad sizes name the config key."""
    try:
        return n_shards(n_events, shard_size)
    except ValueError as exc:
        raise ConfigError(f"lartpc.n_{split} / lartpc.shard_size", str(exc)) from exc


def shard_paths(n_events: int, shard_size: int, split: str) -> list[str]:
    """The workflow's shard files of one split, in global event order (the manifest rule's inputs)."""
    return [f"results/lartpc/shards/{split}_{k}.h5" for k in range(shard_count(n_events, shard_size, split))]


def simulate_shard_to_file(out: str, split: str, shard: int, shard_size: int, n_events: int,
                           fractions: Mapping[str, float], geometry: Mapping[str, Any],
                           detector: Mapping[str, Any], seed: int) -> None:
    """Events [shard * shard_size, ...) of a split: the same events whatever the shard size."""
    geo = Geometry(int(geometry["width"]), int(geometry["height"]), float(geometry["pitch_cm"]))
    det = Detector(**detector)
    start, stop = shard_range(n_events, shard_size, shard)
    images, labels = simulate(n_events, fractions, geo, det, seed, SPLIT_IDS[split], start, stop)
    write_images(out, images, labels, list(CLASSES), split_params(split, n_events, fractions, geometry, detector,
                                                                   seed) | {"shard_size": shard_size},
                 units="ke-", start=start)


def split_params(split: str, n_events: int, fractions: Mapping[str, float], geometry: Mapping[str, Any],
                 detector: Mapping[str, Any], seed: int) -> dict[str, Any]:
    return {"split": split, "n_events": n_events, "fractions": dict(fractions), "geometry": dict(geometry),
            "detector": dict(detector), "seed": seed}


def manifest_to_file(out: str, shards: Sequence[str], params: Mapping[str, Any]) -> None:
    """The split's manifest: shards, counts, class fractions and geometry; what training reads first."""
    write_manifest(out, shards, params)
