"""The contrastive-clustering study as the workflow runs it: one function per rule.

The one place that maps library errors to config keys (``contrastive.*``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.distributed import destroy_process_group

from hepclust import embed as embedding
from hepclust import metrics
from hepclust.contrastive import ablation, baselines, ensemble, references
from hepclust.contrastive.augment import AugmentConfig
from hepclust.contrastive.cpu import use_cpu
from hepclust.contrastive.data import ShardedImages
from hepclust.contrastive.distributed import current_world, init_from_env, launch_command, rank_banner, run_logged
from hepclust.contrastive.manifold import ManifoldConfig, umap_kmeans
from hepclust.contrastive.model import ContrastiveClusterer
from hepclust.contrastive.scan import (NeighbourCountError, ScanConfig, augmentation_consistency, choose_partition,
                                      head_probabilities, neighbour_agreement, pick_partition, train_heads)
from hepclust.contrastive.selflabel import SelfLabelConfig, self_label
from hepclust.contrastive.train import TrainConfig, autocast_dtype, embed, load_model, pick_device, save_model, train
from hepclust.errors import ConfigError, InputError
from hepclust.io import json_attr, read_h5, write_csv, write_h5
from hepclust.plotting.summary import CLUSTERER
from hepclust.images import read_image_set

log = logging.getLogger(__name__)

EMBEDDING_KIND = "contrastive_embedding"
EMBEDDING_DATASETS = ("latent", "features", "view_features", "view_latent", "probabilities", "cluster", "labels",
                      "train_features", "train_latent", "train_view_features", "train_view_latent", "train_labels")
SCAN_KIND = "scan_clusters"
# the candidates of the clusterer's answer (K = classes), chosen between by contrastive.scan.pick
SCAN_CANDIDATE = "SCAN heads (lowest-loss head)"
KMEANS_CANDIDATE = "k-means on latent (fitted on the training images)"
UMAP_KMEANS_CANDIDATE = "k-means on the latent's UMAP (fitted on the training images)"
UNREFINED = "contrastive clustering before self-labelling (the picked candidate)"
ORACLE = "best candidate by labels (SCAN heads or k-means; an oracle, uses labels)"
SUPERVISED_KIND = "supervised_reference"
BASELINES_KIND = "pixel_baselines"
MIB = 2**20


def _streamed_images(manifest: str, cache_mb: int) -> ShardedImages:
    """An image set streamed from its shards, decoded once per loader process if it fits ``cache_mb`` MiB."""
    return ShardedImages(manifest, cache_bytes=int(cache_mb) * MIB)


def train_config(params: Mapping[str, Any], key: str) -> TrainConfig:
    """Config mapping -> TrainConfig; unknown augmentation keys or values are a config error naming the key."""
    p = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    aug = p.pop("augment", {})
    try:
        aug_cfg = AugmentConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in aug.items()})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{key}.augment", str(exc)) from exc
    try:
        return TrainConfig(**p, augment=aug_cfg)
    except (TypeError, ValueError) as exc:
        raise ConfigError(key, str(exc)) from exc


def check_config(contrastive: Mapping[str, Any]) -> None:
    """What JSON Schema cannot check in the ``contrastive`` config: cross-references and divisibility."""
    world = int(contrastive["distributed"]["nodes"]) * int(contrastive["distributed"]["ranks_per_node"])
    # a misspelt set would silently keep one member, or k-means on the latent
    for key, named in (("members", contrastive.get("members", {})), ("scan.umap", contrastive["scan"].get("umap", {}))):
        for s in named:
            if s not in contrastive["train"]:
                raise ConfigError(f"contrastive.{key}.{s}",
                                  f"'{s}' is not an image set of contrastive.train {sorted(contrastive['train'])}")
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
                 key: str, device: str, threads: int, distributed: Mapping[str, Any], workers: int,
                 cache_mb: int = 0) -> None:
    """Train in this process (one rank), or launch ``nodes x ranks_per_node`` ranks that each run
    :func:`train_rank` (torchrun; srun inside a SLURM allocation)."""
    cfg = train_config(params, key)
    nodes, per_node = int(distributed["nodes"]), int(distributed["ranks_per_node"])
    dataset = _streamed_images(manifest, cache_mb)
    _check_batch(cfg, key, len(dataset), manifest, nodes * per_node)
    args = {"manifest": manifest, "model_out": model_out, "history_out": history_out, "checkpoint": checkpoint,
            "params": dict(params), "key": key, "device": device, "threads": threads, "workers": workers,
            "cache_mb": cache_mb}
    if nodes * per_node == 1:
        use_cpu(threads)
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
        use_cpu(int(args["threads"]))
        log.warning(rank_banner(world, dev))  # every rank, so the log shows where each one ran
        if not world.is_main:
            logging.getLogger("hepclust").setLevel(logging.WARNING)  # rank 0 logs the training
        cfg = train_config(args["params"], args["key"])
        _train_and_save(_streamed_images(args["manifest"], args["cache_mb"]), cfg, args, dev)
    finally:
        destroy_process_group()


def embed_sets(models: Sequence[tuple[torch.nn.Module, TrainConfig]], train_set: ShardedImages,
               test_set: ShardedImages, dev: torch.device, workers: int, views: int, seed: int
               ) -> dict[str, np.ndarray]:
    """Everything the later stages read: the held-out images' features, latent, cluster head, ``views`` augmented
    views and labels, and the training images' features, latent, ``views`` augmented views and labels (the
    latter for the probe only).

    ``models``: the ensemble's members, each (model, its config); their features, latents and views side by side
    (:func:`~hepclust.contrastive.ensemble.concatenate`), the views drawn alike for every member."""

    def embed_all(images: ShardedImages) -> dict[str, np.ndarray]:
        return ensemble.concatenate([embed(m, images, dev, workers=workers, views=views, augment_cfg=c.augment,
                                           seed=seed) for m, c in models])

    tr = embed_all(train_set)
    # one set for both (the digits): the same images, views and seeds would give the same arrays a second time
    te = tr if same_image_set(train_set, test_set) else embed_all(test_set)
    return {**te, "cluster": te["probabilities"].argmax(1), "labels": test_set.labels(),
            **{f"train_{k}": v for k, v in tr.items() if k != "probabilities"}, "train_labels": train_set.labels()}


def same_image_set(a: ShardedImages | str, b: ShardedImages | str) -> bool:
    """Whether two image sets are one manifest file (the digits are clustered and scored whole)."""
    paths = [x.manifest.path if isinstance(x, ShardedImages) else x for x in (a, b)]
    return os.path.realpath(paths[0]) == os.path.realpath(paths[1])


def run_embedding(model_paths: Sequence[str], train_manifest: str, test_manifest: str, out: str, device: str,
                  threads: int, workers: int, views: int, seed: int, cache_mb: int = 0) -> None:
    """Rule contrastive_embed: every ensemble member (``model_paths``, member 0 first) on the held-out and the
    training images, side by side."""
    use_cpu(threads)
    dev = pick_device(device)
    models = [load_model(p, dev) for p in model_paths]
    test_set = _streamed_images(test_manifest, cache_mb)
    data = embed_sets(models, _streamed_images(train_manifest, cache_mb), test_set, dev, workers, views, seed)
    write_h5(out, EMBEDDING_KIND, data,
             {"models": list(model_paths), "train_images": train_manifest, "images": test_manifest, "views": views,
              "seed": seed, "config": models[0][1].as_dict(), "member_seeds": [c.seed for _, c in models]},
             {"class_names": list(test_set.manifest.class_names)})


def read_embedding(path: str) -> dict[str, Any]:
    data, attrs = read_h5(path, EMBEDDING_KIND, required=EMBEDDING_DATASETS)
    data["class_names"] = json.loads(attrs["class_names"])
    return data


def scan_config(params: Mapping[str, Any], n_clusters: int, key: str = "contrastive.scan") -> ScanConfig:
    p = {k: v for k, v in params.items() if k not in ("views", "overcluster", "average_views", "umap", "pick",
                                                          "self_label")}
    try:
        return ScanConfig(n_clusters=n_clusters, **p)
    except TypeError as exc:
        raise ConfigError(key, str(exc)) from exc


def manifold_config(params: Mapping[str, Any], key: str = "contrastive.scan.umap") -> ManifoldConfig | None:
    """The UMAP the image set's k-means candidate runs in; ``None`` (the set has no ``umap`` entry): the latent."""
    if params.get("umap") is None:
        return None
    try:
        return ManifoldConfig(**params["umap"])
    except TypeError as exc:
        raise ConfigError(key, str(exc)) from exc


def self_label_config(params: Mapping[str, Any], key: str = "contrastive.scan.self_label") -> SelfLabelConfig | None:
    """The image set's self-labelling of the answer; ``None`` (the set has no ``self_label`` entry): none."""
    if params.get("self_label") is None:
        return None
    try:
        return SelfLabelConfig(**params["self_label"])
    except (TypeError, ValueError) as exc:
        raise ConfigError(key, str(exc)) from exc


def scan_stage(emb: Mapping[str, np.ndarray], params: Mapping[str, Any]
               ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """SCAN heads for K = n_clusters and for the over-clustering K, each with its label-free pick (lowest loss);
    then the clusterer's answer for K = n_clusters: the picked head or k-means on the UMAP of the training latents
    (:mod:`~hepclust.contrastive.manifold`), whichever partition of the training images survives their augmented
    views better (``pick: augmentation``, :func:`~hepclust.contrastive.scan.augmentation_consistency`) or, with
    ``pick: neighbours``, agrees more with the mined neighbours.

    Why the views: the neighbour agreement leans to the k-means candidate, which is built from the very latent
    (UMAP: the very neighbour graph) the neighbours are mined in; it picked k-means on LArTPC seeds where the SCAN
    head was ahead by up to 0.09.  Whether an image's augmented views land in its cluster is a test neither
    candidate was fitted to: k-means never saw the views, and the SCAN heads were trained on views but only to
    agree with the image's neighbours.

    With ``average_views`` every head scores an image by its probabilities averaged over the image and its
    augmented views (held-out and training images alike).

    With ``self_label`` (the image set's entry) the picked partition is then refined by
    :func:`~hepclust.contrastive.selflabel.self_label`: ``cluster`` is the refined answer, ``unrefined_cluster``
    the picked candidate's, ``self_label_confidence`` the classifier's probability of each held-out image's cluster.

    Written: the held-out images' probabilities under every head, the heads' losses and neighbour agreements,
    both candidates' held-out clusters (``scan_cluster``, ``kmeans_cluster``), the answer (``cluster``) and, as a
    reference row, k-means on the training latents themselves (``latent_kmeans_cluster``)."""
    n_clusters = int(emb["probabilities"].shape[1])
    views, feats = torch.from_numpy(emb["train_view_features"]), torch.from_numpy(emb["train_features"])
    latent, test = torch.from_numpy(emb["train_latent"]), torch.from_numpy(emb["features"])
    average = bool(params.get("average_views", False))
    test_views = torch.from_numpy(emb["view_features"]) if average else None
    train_views = views if average else None
    data: dict[str, np.ndarray] = {}
    attrs: dict[str, Any] = {}
    for name, k in (("overcluster_", int(params["overcluster"])), ("", n_clusters)):  # K = classes last: kept below
        cfg = scan_config(params, k)
        try:
            res = train_heads(views, feats, latent, cfg)
        except NeighbourCountError as err:
            raise ConfigError("contrastive.scan.neighbours", str(err)) from None
        probs = head_probabilities(res.heads, test, test_views)
        train_clusters = head_probabilities(res.heads, feats, train_views).argmax(2)
        neighbours = res.neighbours.numpy()
        # each head's partition of the images and of their views, one rendering at a time (not averaged)
        image_clusters = train_clusters if train_views is None else head_probabilities(res.heads, feats).argmax(2)
        view_clusters = np.stack([head_probabilities(res.heads, v).argmax(2) for v in views], axis=1)  # (H, V, N)
        data |= {f"{name}probabilities": probs, f"{name}cluster": probs[res.chosen].argmax(1),
                 f"{name}loss": res.losses, f"{name}consistency": res.consistency, f"{name}entropy": res.entropy,
                 f"{name}agreement": np.array([neighbour_agreement(c, neighbours) for c in train_clusters]),
                 f"{name}view_consistency": np.array([augmentation_consistency(c, vc)
                                                      for c, vc in zip(image_clusters, view_clusters)])}
        attrs[f"{name}chosen"] = res.chosen
        log.info("SCAN K=%d: head losses %s, label-free pick: head %d", k, np.round(res.losses, 4), res.chosen)
    # res, train_clusters, neighbours and cfg are those of K = n_clusters, the loop's last pass
    train_view_latent = np.asarray(emb["train_view_latent"], emb["train_latent"].dtype)
    latent_kmeans = baselines.kmeans_fit(emb["train_latent"], n_clusters, cfg.seed)
    data["latent_kmeans_cluster"] = latent_kmeans.predict(emb["latent"])
    manifold = manifold_config(params)
    if manifold is None:
        kmeans_name, kmeans_train, data["kmeans_cluster"] = (KMEANS_CANDIDATE, latent_kmeans.labels_,
                                                             data["latent_kmeans_cluster"])
        kmeans_views = np.stack([latent_kmeans.predict(v) for v in train_view_latent])
    else:
        try:
            kmeans_train, data["kmeans_cluster"], kmeans_views = umap_kmeans(
                emb["train_latent"], emb["latent"], n_clusters, manifold, cfg.seed, views=train_view_latent)
        except NeighbourCountError as err:
            raise ConfigError("contrastive.scan.umap.neighbours", str(err)) from None
        kmeans_name = UMAP_KMEANS_CANDIDATE
    partitions = [train_clusters[res.chosen], kmeans_train]
    by_neighbours, agreement = choose_partition(partitions, neighbours, n_clusters)
    consistency = np.array([data["view_consistency"][res.chosen], augmentation_consistency(kmeans_train, kmeans_views)])
    criterion = params.get("pick", "augmentation")
    picked = pick_partition(partitions, consistency, n_clusters) if criterion == "augmentation" else by_neighbours
    data["scan_cluster"] = data["cluster"]
    data["cluster"] = (data["scan_cluster"], data["kmeans_cluster"])[picked]
    candidates = (SCAN_CANDIDATE, kmeans_name)
    refine = self_label_config(params)
    if refine is not None:
        refined = self_label(emb["train_features"], partitions[picked], neighbours, emb["features"], refine,
                             emb["train_view_features"], emb["view_features"] if average else None)
        data |= {"unrefined_cluster": data["cluster"], "cluster": refined.clusters,
                 "self_label_confidence": refined.confidence}
        attrs["self_label_targets"] = refined.confident_fraction
        log.info("self-labelling: %.3f of the training images as targets, %d of %d held-out images moved",
                 refined.confident_fraction, int(np.sum(refined.clusters != data["unrefined_cluster"])),
                 refined.clusters.size)
    attrs |= {"picked": candidates[picked], "pick": criterion, "kmeans_candidate": kmeans_name,
              "scan_agreement": float(agreement[0]), "kmeans_agreement": float(agreement[1]),
              "scan_view_consistency": float(consistency[0]), "kmeans_view_consistency": float(consistency[1])}
    log.info("SCAN head: neighbour agreement %.4f, view consistency %.4f; %s: %.4f, %.4f; picked by %s: %s",
             agreement[0], consistency[0], kmeans_name, agreement[1], consistency[1], criterion, candidates[picked])
    return data, attrs


def run_scan(embedding_path: str, out: str, params: Mapping[str, Any], threads: int) -> None:
    use_cpu(threads)
    data, attrs = scan_stage(read_embedding(embedding_path), params)
    write_h5(out, SCAN_KIND, data, {"embedding": embedding_path, **dict(params)}, attrs)


def read_scan(path: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    return read_h5(path, SCAN_KIND, required=("probabilities", "cluster", "loss", "agreement", "scan_cluster",
                                              "kmeans_cluster", "latent_kmeans_cluster", "overcluster_probabilities",
                                              "overcluster_cluster", "view_consistency", "overcluster_view_consistency"))


def run_supervised(train_manifest: str, test_manifest: str, out: str, train_params: Mapping[str, Any],
                   reference: Mapping[str, Any], key: str, device: str, threads: int, seed: int) -> None:
    """The supervised reference (labels used): same encoder, same training images; held-out predictions.

    Where the held-out images are the training images (one manifest for both), ``reference["folds"]``-fold
    cross-fitted: each image predicted by a network trained without it (``cross_fitted_folds`` in the file)."""
    use_cpu(threads)
    cfg = train_config(train_params, key)
    tr_images, tr_labels, names = read_image_set(train_manifest)
    te_images, te_labels, _ = read_image_set(test_manifest)
    x_train, x_test = torch.from_numpy(tr_images)[:, None], torch.from_numpy(te_images)[:, None]

    dev = pick_device(device)
    batch = min(int(reference["batch_size"]), x_train.shape[0])
    # the arithmetic of the set's contrastive training on a CPU (bfloat16 where configured and reproducible for
    # this image shape; the same probe); float32 on a GPU, where this reference is seconds anyway
    amp = (autocast_dtype(dev, cfg.cpu_precision, ContrastiveClusterer(len(names), cfg.latent_dim,
                                                                       channels=cfg.channels),
                          tuple(x_train.shape[1:]), batch) if dev.type == "cpu" else None)

    def fit_predict(train_x: torch.Tensor, train_y: np.ndarray, test_x: torch.Tensor) -> np.ndarray:
        return references.train_supervised(
            train_x, train_y, test_x, len(names), cfg.channels, (cfg.augment.flip_x, cfg.augment.flip_y),
            int(reference["epochs"]), int(reference["batch_size"]), float(reference["max_learning_rate"]), seed,
            dev, amp_dtype=amp)

    folds = int(reference["folds"]) if same_image_set(train_manifest, test_manifest) else 0
    if folds:
        pred = references.cross_fitted(lambda tr, te: fit_predict(x_train[tr], tr_labels[tr], x_train[te]),
                                       tr_labels, folds, seed)
    else:
        pred = fit_predict(x_train, tr_labels, x_test)
    write_h5(out, SUPERVISED_KIND, {"prediction": pred, "labels": te_labels},
             {"train_images": train_manifest, "images": test_manifest, **dict(reference), "seed": seed,
              "channels": list(cfg.channels)}, {"cross_fitted_folds": folds})


def _scores(name: str, y: np.ndarray, pred: np.ndarray, uses_labels: bool = False) -> dict[str, Any]:
    s = metrics.external_scores(y, pred)
    return {"method": name, "uses_labels": uses_labels, "n_clusters": int(np.unique(pred[pred >= 0]).size),
            "noise_fraction": float(np.mean(pred < 0)), "hungarian_accuracy": s["hungarian_accuracy"],
            "purity": metrics.majority_accuracy(y, pred), "nmi": s["nmi"], "ari": s["ari"], "ami": s["ami"]}


def clusterer_rows(emb: Mapping[str, np.ndarray], scan: Mapping[str, np.ndarray], y: np.ndarray,
                   seed: int) -> list[dict[str, Any]]:
    """The clusterer (its label-free answer; where it is self-labelled, also the picked candidate before that),
    the SCAN candidate on its own, its first stage, over-clustering,
    k-means on its latent (fitted on the held-out latents, and fitted on the training latents: the other
    candidate)."""
    k_over = scan["overcluster_probabilities"].shape[2]
    k = len(np.unique(y))
    unrefined = ([_scores(UNREFINED, y, scan["unrefined_cluster"])] if "unrefined_cluster" in scan else [])
    return [_scores(CLUSTERER, y, scan["cluster"]), *unrefined,
            _scores(SCAN_CANDIDATE, y, scan["scan_cluster"]),
            _scores("Contrastive-Clustering head (first stage)", y, emb["cluster"]),
            _scores(f"over-clustering K={k_over} (purity: many-to-one)", y, scan["overcluster_cluster"]),
            _scores(f"k-means on latent (k={k})", y, baselines.kmeans_raw(emb["latent"], k, seed)),
            _scores(f"k-means on latent, fitted on the training images (k={k})", y, scan["latent_kmeans_cluster"])]


def _cross_fitted_name(name: str, folds: int) -> str:
    """``name (uses labels)`` -> ``name, k-fold cross-fitted (uses labels)`` when cross-fitted."""
    return f"{name}, {folds}-fold cross-fitted (uses labels)" if folds else f"{name} (uses labels)"


def reference_rows(emb: Mapping[str, np.ndarray], supervised: Mapping[str, np.ndarray],
                   supervised_attrs: Mapping[str, Any], y: np.ndarray, folds: int, seed: int
                   ) -> list[dict[str, Any]]:
    """The ceilings, labelled as using labels (and as cross-fitted where the held-out set is the training set)."""
    name = _cross_fitted_name("supervised reference, same encoder", int(supervised_attrs.get("cross_fitted_folds", 0)))
    return [probe_row(emb, y, folds, seed), _scores(name, y, supervised["prediction"], uses_labels=True)]


def probe_row(emb: Mapping[str, np.ndarray], y: np.ndarray, folds: int, seed: int) -> dict[str, Any]:
    """The linear probe: how much of the labels the frozen encoder's features hold, read out linearly.

    Fitted on the training images' features and scored on the held-out ones; where those are the same images
    (same features, same labels), ``folds``-fold cross-fitted on them instead."""
    train_x, train_y, x = emb["train_features"], emb["train_labels"], emb["features"]
    same = train_x.shape == x.shape and np.array_equal(train_x, x) and np.array_equal(train_y, y)
    if same:
        probe = references.cross_fitted(lambda tr, te: references.linear_probe(x[tr], y[tr], x[te]), y, folds, seed)
    else:
        probe = references.linear_probe(train_x, train_y, x)
    name = _cross_fitted_name("linear probe on the contrastive encoder", folds if same else 0)
    return _scores(name, y, probe, uses_labels=True)


def baseline_predictions(images: np.ndarray, k: int, baseline: Mapping[str, Any], seed: int,
                         extra_baselines: bool) -> dict[str, np.ndarray]:
    """Label-free baselines on the pixels: each method's clusters (k of them; -1 for noise) of the images."""
    x = baselines.flatten_log(images)
    preds = {f"k-means on PCA-{baseline['pca_components']} pixels": baselines.kmeans_pca(
                 x, k, baseline["pca_components"], seed),
             "UMAP + HDBSCAN": baselines.umap_hdbscan(x, baseline["umap_components"], baseline["umap_neighbors"],
                                                      baseline["hdbscan_min_cluster_size"], seed),
             "autoencoder + k-means": baselines.autoencoder_kmeans(x, k, baseline["autoencoder_latent"],
                                                                   baseline["autoencoder_epochs"], seed)}
    if extra_baselines:
        raw = images.reshape(images.shape[0], -1).astype(np.float64)
        preds["k-means on raw pixels"] = baselines.kmeans_raw(raw, k, seed)
        preds["Ward on raw pixels"] = baselines.ward_raw(raw, k)
    return preds


def baseline_rows(predictions: Mapping[str, np.ndarray], y: np.ndarray) -> list[dict[str, Any]]:
    """The baselines' clusters scored against truth."""
    return [_scores(name, y, pred) for name, pred in predictions.items()]


def run_baselines(images_path: str, out: str, n_clusters: int, baseline: Mapping[str, Any], seed: int,
                  extra_baselines: bool) -> None:
    """Rule contrastive_baselines: the pixel baselines' clusters of the held-out images, written with the
    parameters that made them.

    Why a rule of its own: they depend on the images and the baseline config only, so an edit of the training
    or the SCAN config re-evaluates the clusterer without recomputing them (an autoencoder and a UMAP,
    ~20 s per image set on one core).  They never see the labels; ``contrastive_evaluate`` scores them."""
    images, _, _ = read_image_set(images_path)
    preds = baseline_predictions(images, n_clusters, baseline, seed, extra_baselines)
    write_h5(out, BASELINES_KIND, {"clusters": np.stack(list(preds.values())).astype(np.int64)},
             {"images": images_path, "n_clusters": n_clusters, "baseline": dict(baseline), "seed": seed,
              "extra_baselines": extra_baselines},
             {"methods": list(preds)})


def read_baselines(path: str, n_images: int) -> dict[str, np.ndarray]:
    """{method: clusters} from :func:`run_baselines`'s file, checked to cover ``n_images`` images."""
    data, attrs = read_h5(path, BASELINES_KIND, required=("clusters",))
    methods = json_attr(attrs, "methods") if "methods" in attrs else None
    clusters = data["clusters"]
    if not isinstance(methods, list) or clusters.ndim != 2 or len(methods) != clusters.shape[0]:
        raise InputError(path, f"the 'methods' attribute ({methods!r}) does not name the {clusters.shape[0]} "
                               "rows of 'clusters'")
    if clusters.shape[1] != n_images:
        raise InputError(path, f"clusters of {clusters.shape[1]} images, the held-out set has {n_images}: "
                               "made from other images")
    return dict(zip(methods, clusters))


def head_table(scan: Mapping[str, np.ndarray], attrs: Mapping[str, Any], y: np.ndarray) -> pd.DataFrame:
    """Every candidate of the clusterer's answer: each SCAN head (its loss and neighbour agreement, what the
    label-free choice sees) and, for K = classes, k-means on the training latents (head -1), beside their scores
    by labels (what the choice cannot see).  ``picked_without_labels``: the answer the clusterer reports."""
    rows = []

    def row(k: int, candidate: str, head: int, pred: np.ndarray, picked: bool, **seen: float) -> dict[str, Any]:
        s = metrics.external_scores(y, pred)
        return {"n_clusters": k, "candidate": candidate, "head": head, "scan_loss": np.nan, "consistency": np.nan,
                "entropy": np.nan, **seen, "picked_without_labels": picked,
                "hungarian_accuracy": s["hungarian_accuracy"], "purity": metrics.majority_accuracy(y, pred),
                "nmi": s["nmi"], "ari": s["ari"]}

    for prefix in ("", "overcluster_"):
        probs = scan[f"{prefix}probabilities"]
        chosen = int(attrs[f"{prefix}chosen"])
        # over-clustering reports its lowest-loss head; K = classes that head only when the SCAN candidate won
        head_reported = bool(prefix) or attrs["picked"] == SCAN_CANDIDATE
        for h in range(probs.shape[0]):
            rows.append(row(probs.shape[2], "SCAN head", h, probs[h].argmax(1), head_reported and h == chosen,
                            scan_loss=float(scan[f"{prefix}loss"][h]),
                            consistency=float(scan[f"{prefix}consistency"][h]),
                            entropy=float(scan[f"{prefix}entropy"][h]),
                            neighbour_agreement=float(scan[f"{prefix}agreement"][h]),
                            view_consistency=float(scan[f"{prefix}view_consistency"][h]), lowest_loss=h == chosen))
        if not prefix:
            rows.append(row(probs.shape[2], attrs["kmeans_candidate"], -1, scan["kmeans_cluster"],
                            attrs["picked"] == attrs["kmeans_candidate"],
                            neighbour_agreement=float(attrs["kmeans_agreement"]),
                            view_consistency=float(attrs["kmeans_view_consistency"]), lowest_loss=False))
    table = pd.DataFrame(rows)
    best = table.groupby("n_clusters")["hungarian_accuracy"].transform("max")
    table["best_by_labels"] = table["hungarian_accuracy"] == best
    return table


def candidate_clusters(scan: Mapping[str, np.ndarray], candidate: Mapping[str, Any]) -> np.ndarray:
    """The held-out clusters of one row of :func:`head_table` (K = classes)."""
    if candidate["candidate"] in (KMEANS_CANDIDATE, UMAP_KMEANS_CANDIDATE):
        return scan["kmeans_cluster"]
    return scan["probabilities"][int(candidate["head"])].argmax(1)


def evaluate(embedding_path: str, scan_path: str, supervised_path: str, baselines_path: str, images_path: str,
             seed: int, folds: int) -> dict[str, Any]:
    """The clusterer, the references that use labels and every baseline, scored against truth on the same images."""
    emb = read_embedding(embedding_path)
    scan, scan_attrs = read_scan(scan_path)
    supervised, supervised_attrs = read_h5(supervised_path, SUPERVISED_KIND, required=("prediction", "labels"))
    images, labels, class_names = read_image_set(images_path)
    for path, other in ((embedding_path, emb["labels"]), (supervised_path, supervised["labels"])):
        if not np.array_equal(labels, other):
            raise InputError(path, f"labels differ from those of {images_path}")
    y = labels
    k = int(emb["probabilities"].shape[1])
    rows = (clusterer_rows(emb, scan, y, seed) + reference_rows(emb, supervised, supervised_attrs, y, folds, seed)
            + baseline_rows(read_baselines(baselines_path, len(y)), y))
    # self-labelled: the classifier's probability; else the SCAN head's (k-means gives none)
    conf = None
    if "self_label_confidence" in scan:
        conf = scan["self_label_confidence"]
    elif scan_attrs["picked"] == SCAN_CANDIDATE:
        conf = scan["probabilities"][int(scan_attrs["chosen"])].max(axis=1)
    per_cluster = pd.DataFrame(metrics.per_cluster_summary(y, scan["cluster"], conf))
    per_cluster["majority_class"] = [class_names[c] for c in per_cluster["majority_class"]]
    return {"metrics": pd.DataFrame(rows), "per_cluster": per_cluster, "heads": head_table(scan, scan_attrs, y),
            "labels": y, "cluster": scan["cluster"], "class_names": class_names, "images": images, "k": k}


def score_retrained(imageset: str, model_paths: Sequence[str], history_paths: Sequence[str], train_manifest: str,
                    test_manifest: str, out: str, scan_params: Mapping[str, Any], baseline: Mapping[str, Any],
                    seed: int, device: str, threads: int, workers: int, extra_baselines: bool, folds: int,
                    augmentation_off: str = ablation.NONE, cache_mb: int = 0) -> None:
    """One seed of the stability benchmark (or one variant of the augmentation ablation), scored: the members'
    trainings (``model_paths``, member 0 first, each its own ``contrastive_retrain_member`` job) embedded, SCAN,
    and the clusterer, the label-free head choice against the best head, the linear probe and the baselines.

    ``augmentation_off``: the ablation's variant the models were trained with; only the configured run
    (``none``) scores the pixel baselines, which do not depend on the augmentation.
    ``history_paths``: the members' per-epoch histories, for ``training_sessions`` (1: every member trained in
    one go; more: one resumed from its checkpoint, after a pre-emption or a failed attempt).
    ``cache_mb``: MiB per loader process for whole decoded shards (:class:`ShardedImages`)."""
    use_cpu(threads)
    dev = pick_device(device)
    models = [load_model(p, dev) for p in model_paths]
    sessions = max(int(pd.read_csv(p)["session"].max()) + 1 for p in history_paths)
    train_set, test_set = _streamed_images(train_manifest, cache_mb), _streamed_images(test_manifest, cache_mb)
    cfg = models[0][1]
    emb = embed_sets(models, train_set, test_set, dev, workers, int(scan_params["views"]), seed)
    scan, attrs = scan_stage(emb, {**scan_params, "seed": seed})
    images, y, _ = read_image_set(test_manifest)
    heads = head_table(scan, attrs, y)
    best = heads[(heads["n_clusters"] == cfg.n_clusters) & heads["best_by_labels"]].iloc[0]
    rows = clusterer_rows(emb, scan, y, seed)
    rows.append(_scores(ORACLE, y, candidate_clusters(scan, best), uses_labels=True))
    if augmentation_off == ablation.NONE:
        rows += baseline_rows(baseline_predictions(images, cfg.n_clusters, baseline, seed, extra_baselines), y)
    rows.append(probe_row(emb, y, folds, seed))
    table = pd.DataFrame(rows)
    table.insert(0, "augmentation_off", augmentation_off)
    table.insert(1, "training_sessions", sessions)
    table.insert(1, "members", len(models))
    table.insert(0, "seed", seed)
    table.insert(0, "imageset", imageset)
    write_csv(out, table)


def stability_summary(per_seed: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every seed's rows, median / minimum / maximum over the seeds of each image set and method)."""
    rows = pd.concat([pd.read_csv(p) for p in per_seed], ignore_index=True)
    scores = ["hungarian_accuracy", "nmi", "ari"]
    grouped = rows.groupby(["imageset", "method", "uses_labels"], sort=False)[scores]
    summary = grouped.agg(["median", "min", "max"])
    summary.columns = [f"{score}_{stat}" for score, stat in summary.columns]
    summary.insert(0, "n_seeds", grouped.size())
    return rows, summary.reset_index()


def embeddings_2d(embedding_path: str, scan_path: str, perplexity: float, n_neighbors: int, seed: int
                  ) -> dict[str, np.ndarray]:
    """t-SNE and UMAP of the held-out latent, with truth and the clusterer's clusters."""
    emb = read_embedding(embedding_path)
    z = emb["latent"].astype(np.float64)
    return {"tsne": embedding.tsne(z, perplexity, seed), "umap": embedding.umap2d(z, n_neighbors, seed),
            "labels": emb["labels"], "cluster": read_scan(scan_path)[0]["cluster"],
            "class_names": emb["class_names"]}


def write_tables(out_metrics: str, out_per_cluster: str, out_heads: str, result: Mapping[str, Any]) -> None:
    write_csv(out_metrics, result["metrics"])
    write_csv(out_per_cluster, result["per_cluster"])
    write_csv(out_heads, result["heads"])
