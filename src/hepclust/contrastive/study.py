"""The contrastive-clustering study as the workflow runs it: one function per rule.

The one place that maps library errors to config keys (``contrastive.*``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.distributed import destroy_process_group

from hepclust import embed as embedding
from hepclust import metrics
from hepclust.contrastive import baselines
from hepclust.contrastive.augment import AugmentConfig
from hepclust.contrastive.data import ShardedImages
from hepclust.contrastive.distributed import current_world, init_from_env, launch_command, rank_banner, run_logged
from hepclust.contrastive.train import TrainConfig, embed, load_model, pick_device, save_model, train
from hepclust.errors import ConfigError, InputError
from hepclust.io import read_h5, write_csv, write_h5
from hepclust.images import read_image_set

log = logging.getLogger(__name__)

EMBEDDING_KIND = "contrastive_embedding"


def train_config(params: Mapping[str, Any], key: str) -> TrainConfig:
    """Config mapping -> TrainConfig; unknown augmentation keys are a config error naming the key."""
    p = dict(params)
    aug = p.pop("augment", {})
    try:
        aug_cfg = AugmentConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in aug.items()})
    except TypeError as exc:
        raise ConfigError(f"{key}.augment", str(exc)) from exc
    try:
        return TrainConfig(**p, augment=aug_cfg)
    except TypeError as exc:
        raise ConfigError(key, str(exc)) from exc


def check_config(contrastive: Mapping[str, Any]) -> None:
    """What JSON Schema cannot check in the ``contrastive`` config: cross-references and divisibility."""
    world = int(contrastive["distributed"]["nodes"]) * int(contrastive["distributed"]["ranks_per_node"])
    for s in contrastive["imagesets"]:
        for section in ("sources", "train"):
            if s not in contrastive[section]:
                raise ConfigError("contrastive.imagesets",
                                  f"'{s}' has no entry in contrastive.{section} {sorted(contrastive[section])}")
        cfg = train_config(contrastive["train"][s], f"contrastive.train.{s}")
        if cfg.batch_size % world:
            raise ConfigError(f"contrastive.train.{s}.batch_size",
                              f"the global batch {cfg.batch_size} must be divisible by the {world} ranks of "
                              "contrastive.distributed (nodes x ranks_per_node)")


def _check_batch(cfg: TrainConfig, key: str, n_images: int, manifest: str, world_size: int) -> None:
    if cfg.batch_size > n_images:
        raise ConfigError(f"{key}.batch_size", f"{cfg.batch_size} is larger than the {n_images} images of {manifest}")
    if cfg.batch_size % world_size:
        raise ConfigError(f"{key}.batch_size", f"the global batch {cfg.batch_size} must be divisible by the "
                                               f"{world_size} ranks of contrastive.distributed")


def run_training(manifest: str, model_out: str, history_out: str, checkpoint: str, params: Mapping[str, Any],
                 key: str, device: str, threads: int, distributed: Mapping[str, Any], workers: int) -> None:
    """Train in this process (one rank), or launch ``nodes x ranks_per_node`` ranks that each run
    :func:`train_rank` (torchrun; srun inside a SLURM allocation)."""
    cfg = train_config(params, key)
    nodes, per_node = int(distributed["nodes"]), int(distributed["ranks_per_node"])
    dataset = ShardedImages(manifest)
    _check_batch(cfg, key, len(dataset), manifest, nodes * per_node)
    args = {"manifest": manifest, "model_out": model_out, "history_out": history_out, "checkpoint": checkpoint,
            "params": dict(params), "key": key, "device": device, "threads": threads, "workers": workers}
    if nodes * per_node == 1:
        torch.set_num_threads(max(1, threads))
        _train_and_save(dataset, cfg, args, pick_device(device))
        return
    in_slurm = "SLURM_JOB_ID" in os.environ and shutil.which("srun") is not None
    if nodes > 1 and not in_slurm:
        raise ConfigError("contrastive.distributed.nodes", f"{nodes} nodes need a SLURM allocation "
                                                           "(snakemake --profile workflow/profiles/slurm)")
    cpus = int(distributed.get("cpus_per_rank", threads))
    gpus = 1 if device != "cpu" and in_slurm else 0
    cmd = launch_command(nodes, per_node, cpus, gpus, {**args, "threads": cpus}, in_slurm)
    run_logged(cmd, log)


def _train_and_save(dataset: ShardedImages, cfg: TrainConfig, args: Mapping[str, Any], dev: torch.device) -> None:
    model, history = train(dataset, cfg, args["checkpoint"], dev, workers=int(args["workers"]))
    if current_world().is_main:
        save_model(args["model_out"], model, cfg)
        write_csv(args["history_out"], pd.DataFrame(history))


def train_rank(args: Mapping[str, Any]) -> None:
    """One rank of a data-parallel training (started by torchrun): join the group, train, rank 0 writes."""
    world, dev = init_from_env(args["device"])
    try:
        torch.set_num_threads(max(1, int(args["threads"])))
        log.warning(rank_banner(world, dev))  # every rank, so the log shows where each one ran
        if not world.is_main:
            logging.getLogger("hepclust").setLevel(logging.WARNING)  # rank 0 logs the training
        cfg = train_config(args["params"], args["key"])
        _train_and_save(ShardedImages(args["manifest"]), cfg, args, dev)
    finally:
        destroy_process_group()


def run_embedding(model_path: str, manifest: str, out: str, device: str, threads: int, workers: int) -> None:
    torch.set_num_threads(max(1, threads))
    dev = pick_device(device)
    model, cfg = load_model(model_path, dev)
    dataset = ShardedImages(manifest)
    z, p = embed(model, dataset, dev, workers=workers)
    write_h5(out, EMBEDDING_KIND, {"latent": z, "probabilities": p, "cluster": p.argmax(1),
                                   "labels": dataset.labels()},
             {"model": model_path, "images": manifest, "config": cfg.as_dict()},
             {"class_names": list(dataset.manifest.class_names)})


def read_embedding(path: str) -> dict[str, Any]:
    data, attrs = read_h5(path, EMBEDDING_KIND, required=("latent", "probabilities", "cluster", "labels"))
    data["class_names"] = json.loads(attrs["class_names"])
    return data


def _scores(name: str, y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    s = metrics.external_scores(y, pred)
    return {"method": name, "n_clusters": int(np.unique(pred[pred >= 0]).size),
            "noise_fraction": float(np.mean(pred < 0)), "hungarian_accuracy": s["hungarian_accuracy"],
            "purity": metrics.majority_accuracy(y, pred), "nmi": s["nmi"], "ari": s["ari"], "ami": s["ami"]}


def evaluate(embedding_path: str, images_path: str, baseline: Mapping[str, Any], seed: int,
             extra_baselines: bool) -> dict[str, Any]:
    """Contrastive clusters and every baseline, scored against truth on the same images."""
    emb = read_embedding(embedding_path)
    images, labels, class_names = read_image_set(images_path)
    if not np.array_equal(labels, emb["labels"]):
        raise InputError(embedding_path, f"labels differ from those of {images_path}")
    y = labels
    k = int(emb["probabilities"].shape[1])
    n_classes = len(class_names)
    x = baselines.flatten_log(images)
    rows = [_scores("contrastive clustering", y, emb["cluster"]),
            _scores(f"k-means on latent (k={n_classes})", y,
                    baselines.kmeans_raw(emb["latent"], n_classes, seed)),
            _scores(f"k-means on PCA-{baseline['pca_components']} pixels", y,
                    baselines.kmeans_pca(x, k, baseline["pca_components"], seed)),
            _scores("UMAP + HDBSCAN", y,
                    baselines.umap_hdbscan(x, baseline["umap_components"], baseline["umap_neighbors"],
                                           baseline["hdbscan_min_cluster_size"], seed)),
            _scores("autoencoder + k-means", y,
                    baselines.autoencoder_kmeans(x, k, baseline["autoencoder_latent"],
                                                 baseline["autoencoder_epochs"], seed))]
    if extra_baselines:
        raw = images.reshape(images.shape[0], -1).astype(np.float64)
        rows += [_scores("k-means on raw pixels", y, baselines.kmeans_raw(raw, n_classes, seed)),
                 _scores("Ward on raw pixels", y, baselines.ward_raw(raw, n_classes))]
    conf = emb["probabilities"].max(axis=1)
    per_cluster = pd.DataFrame(metrics.per_cluster_summary(y, emb["cluster"], conf))
    per_cluster["majority_class"] = [class_names[c] for c in per_cluster["majority_class"]]
    return {"metrics": pd.DataFrame(rows), "per_cluster": per_cluster, "labels": y, "cluster": emb["cluster"],
            "class_names": class_names, "images": images, "k": k}


def embeddings_2d(embedding_path: str, perplexity: float, n_neighbors: int, seed: int) -> dict[str, np.ndarray]:
    emb = read_embedding(embedding_path)
    z = emb["latent"].astype(np.float64)
    return {"tsne": embedding.tsne(z, perplexity, seed), "umap": embedding.umap2d(z, n_neighbors, seed),
            "labels": emb["labels"], "cluster": emb["cluster"], "class_names": emb["class_names"]}


def write_tables(out_metrics: str, out_per_cluster: str, result: Mapping[str, Any]) -> None:
    write_csv(out_metrics, result["metrics"])
    write_csv(out_per_cluster, result["per_cluster"])
