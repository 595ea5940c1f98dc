"""An ensemble of independently trained encoders, clustered as one representation.

Why: one training's partition is decided by its seed (LArTPC, k-means on the latent of tuning seeds 5-8:
0.692-0.760 with empty-margin views, 0.735-0.798 with reflection padding), while the latents of several trainings
set side by side average that seed noise out before the clustering (four empty-margin trainings: 0.778).  Each
member is a plain training with its own seed, so the members are independent jobs that a scheduler runs in
parallel (one GPU each on a cluster); nothing here trains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# a member's seed: the configured seed plus this stride per member, so that member 0 is the configured training
# and the members of two nearby seeds (the stability benchmark's 21, 22, ...) never share a training
MEMBER_SEED_STRIDE = 1000
# side by side over the members: what the second stage and k-means read
CONCATENATED = ("features", "latent", "view_features", "view_latent")


def member_seed(seed: int, member: int) -> int:
    """The training seed of ensemble member ``member`` of a run configured with ``seed``."""
    if member < 0:
        raise ValueError(f"member {member} < 0")
    return int(seed) + MEMBER_SEED_STRIDE * int(member)


def member_params(train_params: Mapping[str, Any], member: int) -> dict[str, Any]:
    """The training parameters of one member: the configured ones (member 0), with the member's seed."""
    if member == 0:
        return dict(train_params)
    if "seed" not in train_params:
        raise ValueError("ensemble members after the first need the training's 'seed' to derive theirs from")
    return {**train_params, "seed": member_seed(int(train_params["seed"]), member)}


def concatenate(members: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One embedding of the members' embeddings of the same images (in the same order): features, latents and
    view features side by side (last axis), every other array (the first stage's cluster probabilities, whose
    cluster order differs between trainings) from member 0.

    Each member's latent is L2-normalised, so every member weighs the same in a distance of the concatenation."""
    if not members:
        raise ValueError("an ensemble needs at least one member")
    out = dict(members[0])
    for key in CONCATENATED:
        if key not in out:
            continue
        shapes = {m[key].shape[:-1] for m in members}
        if len(shapes) != 1:
            raise ValueError(f"the members' '{key}' cover different images: shapes {sorted(shapes)}")
        out[key] = np.concatenate([m[key] for m in members], axis=-1)
    return out
