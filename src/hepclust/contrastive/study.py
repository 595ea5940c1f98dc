"""The contrastive-clustering study as the workflow runs it: one function per rule."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

from hepclust import embed as embedding
from hepclust import metrics
from hepclust.contrastive import baselines
from hepclust.contrastive.augment import AugmentConfig
from hepclust.contrastive.train import TrainConfig, embed, load_model, pick_device, save_model, train
from hepclust.errors import ConfigError, InputError
from hepclust.io import read_h5, write_csv, write_h5
from hepclust.images import read_images

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


def run_training(images_path: str, model_out: str, history_out: str, checkpoint: str, params: Mapping[str, Any],
                 key: str, device: str, threads: int) -> None:
    torch.set_num_threads(max(1, threads))
    cfg = train_config(params, key)
    images, _, _ = read_images(images_path)
    if cfg.batch_size > images.shape[0]:
        raise ConfigError(f"{key}.batch_size", f"{cfg.batch_size} is larger than the {images.shape[0]} images")
    model, history = train(images, cfg, checkpoint, pick_device(device))
    save_model(model_out, model, cfg)
    write_csv(history_out, pd.DataFrame(history))


def run_embedding(model_path: str, images_path: str, out: str, device: str, threads: int) -> None:
    torch.set_num_threads(max(1, threads))
    dev = pick_device(device)
    model, cfg = load_model(model_path, dev)
    images, labels, class_names = read_images(images_path)
    z, p = embed(model, images, dev)
    write_h5(out, EMBEDDING_KIND, {"latent": z, "probabilities": p, "cluster": p.argmax(1), "labels": labels},
             {"model": model_path, "images": images_path, "config": cfg.as_dict()},
             {"class_names": class_names})


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
    images, labels, class_names = read_images(images_path)
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
