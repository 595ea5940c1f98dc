"""What the rule files need when Snakemake parses the workflow, without importing torch.

Every SLURM job's own Snakemake parses the workflow again (twice: the batch script's and the job step's),
so what the ``.smk`` files import at parse time costs seconds per job.  The config check, which needs the
trainer's config classes (and so torch), runs only in the main Snakemake (``contrastive.smk``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hepclust.contrastive.ablation import changes_anything, train_params_without
from hepclust.contrastive.ensemble import member_params


def train_resources(distributed: Mapping[str, Any]) -> dict[str, Any]:
    """Snakemake resources of contrastive_train: one rank per GPU.

    With more than one rank the job is an ``mpi`` job for the SLURM executor
    plugin: its batch script runs the rule itself (no ``srun -n1`` around it),
    and the rule starts the ranks with srun + torchrun.  ``tasks_per_gpu`` keeps
    the plugin from turning ``tasks`` into ``--ntasks-per-gpu``.
    """
    world = int(distributed["nodes"]) * int(distributed["ranks_per_node"])
    res: dict[str, Any] = {"gpu": world, "mem_mb": 16000, "runtime": 720}
    if world > 1:
        res |= {"nodes": int(distributed["nodes"]), "tasks": world, "tasks_per_gpu": 1,
                "cpus_per_task": int(distributed["cpus_per_rank"]), "mpi": "srun"}
    return res


def members(contrastive: Mapping[str, Any], imageset: str) -> int:
    """How many independently seeded trainings (ensemble members) an image set's clusterer reads."""
    return int(contrastive.get("members", {}).get(imageset, 1))


def scan_params(contrastive: Mapping[str, Any], imageset: str, seed: int | None = None) -> dict[str, Any]:
    """The second stage's parameters for one image set: ``contrastive.scan`` with ``umap`` and ``self_label``
    resolved to that set's entries (``None``: its k-means candidate runs on the latent itself; its answer is not
    self-labelled), so that editing one set's entry reruns only that set's clustering.  The rule files sort the
    keys (``canonical``), as for every other params mapping."""
    scan = {**contrastive["scan"], "umap": contrastive["scan"].get("umap", {}).get(imageset),
            "self_label": contrastive["scan"].get("self_label", {}).get(imageset)}
    if seed is not None:
        scan["seed"] = int(seed)
    return scan


def contrastive_targets(imagesets: list[str]) -> list[str]:
    """Final outputs of the contrastive study for rule all."""
    return [f"results/contrastive/{s}/{f}" for s in imagesets
            for f in ("metrics.csv", "embedding.png", "gallery.png", "training.png")]


def ablation_inputs(contrastive: Mapping[str, Any]) -> list[str]:
    """Every image set's retrained runs of the augmentation ablation, without the variants that would
    repeat the configured run (an augmentation the set already has off)."""
    ablation = contrastive["ablation"]
    return [f"results/contrastive/retrained/{s}/{v}_seed_{seed}.csv" for s in contrastive["imagesets"]
            for v in ablation["variants"] if changes_anything(contrastive["train"][s], v)
            for seed in ablation["seeds"]]


def retrain_params(train_params: Mapping[str, Any], variant: str, seed: int, member: int) -> dict[str, Any]:
    """The training parameters of one member of a retrained run (the stability benchmark's ``seed``, the
    ablation's ``variant``): the image set's parameters with that augmentation off, trained with ``seed``,
    and the member's seed derived from it as in the default workflow's ensemble."""
    return member_params({**train_params_without(train_params, variant), "seed": int(seed)}, member)
