"""Training loop: AMP on CUDA, a checkpoint every epoch, resume from the last one.

A SLURM job can be pre-empted or hit its time limit at any moment, so every
epoch ends with an atomic checkpoint holding everything needed to continue
*exactly*: model, optimiser, AMP scaler, the data-order and augmentation
random generators, the epoch and the loss history.  A restarted job whose
config matches the checkpoint's continues from the next epoch and ends with
the same weights as an uninterrupted run (on the CPU, bit for bit).
Checkpoints hold only tensors and plain containers, so they load with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import io
import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hepclust.contrastive.augment import AugmentConfig, augment, log_charge
from hepclust.contrastive.losses import assignment_entropy, cluster_loss, nt_xent
from hepclust.contrastive.model import ContrastiveClusterer
from hepclust.io import atomic_output

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    n_clusters: int = 6
    latent_dim: int = 64
    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 3e-4
    instance_temperature: float = 0.5
    cluster_temperature: float = 1.0
    seed: int = 0
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["augment"] = {k: list(v) if isinstance(v, tuple) else v for k, v in d["augment"].items()}
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "TrainConfig":
        aug = {k: tuple(v) if isinstance(v, list) else v for k, v in d.get("augment", {}).items()}
        return TrainConfig(**{**{k: v for k, v in d.items() if k != "augment"}, "augment": AugmentConfig(**aug)})


def pick_device(requested: str = "auto") -> torch.device:
    """CUDA when available (or asked for), else CPU."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


def _torch_save(path: str | os.PathLike[str], obj: dict[str, Any]) -> None:
    """torch.save atomically.  Serialised to memory first: torch names the archive's root folder after
    the file, and the temporary file's random name would otherwise make identical models differ in bytes."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    with atomic_output(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=True)


def train(images: np.ndarray, cfg: TrainConfig, checkpoint: str | os.PathLike[str], device: torch.device,
          stop_after_epoch: int | None = None) -> tuple[ContrastiveClusterer, list[dict[str, float]]]:
    """Train on charge images (N, H, W); resume from ``checkpoint`` when it matches ``cfg``.

    ``stop_after_epoch`` ends the run early (as a pre-emption would) -- used by
    tests of the resume logic.  Returns the model and the per-epoch history.
    """
    ckpt_path = Path(checkpoint)
    torch.manual_seed(cfg.seed)
    model = ContrastiveClusterer(cfg.n_clusters, cfg.latent_dim).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    use_amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    g_data = torch.Generator().manual_seed(cfg.seed)
    g_aug = torch.Generator(device=device).manual_seed(cfg.seed + 1)
    history: list[dict[str, float]] = []
    start = 0
    if ckpt_path.exists():
        state = load_checkpoint(ckpt_path)
        if state["config"] == cfg.as_dict():
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            scaler.load_state_dict(state["scaler"])
            g_data.set_state(state["g_data"])
            g_aug.set_state(state["g_aug"])
            history = [dict(zip(state["history_keys"], row)) for row in state["history"]]
            start = int(state["epoch"]) + 1
            log.info("resuming from %s after epoch %d", ckpt_path, start - 1)
        else:
            log.warning("ignoring checkpoint %s: it was made with another config", ckpt_path)

    data = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).unsqueeze(1)
    if device.type == "cuda":
        data = data.pin_memory()
    n = data.shape[0]
    batch = min(cfg.batch_size, n)
    for epoch in range(start, cfg.epochs):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=g_data)
        sums = {"instance_loss": 0.0, "cluster_loss": 0.0, "entropy_term": 0.0}
        assign = torch.zeros(cfg.n_clusters, device=device)
        n_batches = 0
        for i in range(0, n - batch + 1, batch):  # drop the ragged last batch: BN and NT-Xent want full batches
            q = data[perm[i:i + batch]].to(device, non_blocking=True)
            xa, xb = augment(q, cfg.augment, g_aug), augment(q, cfg.augment, g_aug)
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                za, pa = model(xa)
                zb, pb = model(xb)
            za, zb, pa, pb = za.float(), zb.float(), pa.float(), pb.float()
            li = nt_xent(za, zb, cfg.instance_temperature)
            lc, reg = cluster_loss(pa, pb, cfg.cluster_temperature)
            loss = li + lc + reg
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            sums["instance_loss"] += li.item()
            sums["cluster_loss"] += lc.item()
            sums["entropy_term"] += reg.item()
            assign += pa.detach().sum(0)
            n_batches += 1
        seconds = time.perf_counter() - t0
        row = {"epoch": float(epoch), **{k: v / max(n_batches, 1) for k, v in sums.items()},
               "cluster_size_entropy": float(assignment_entropy(assign[None]) / math.log(cfg.n_clusters)),
               "images_per_s": n_batches * batch / seconds, "seconds": seconds}
        history.append(row)
        log.info("epoch %d: instance %.4f cluster %.4f entropy-term %.4f size-entropy %.3f (%.0f img/s)", epoch,
                 row["instance_loss"], row["cluster_loss"], row["entropy_term"], row["cluster_size_entropy"],
                 row["images_per_s"])
        keys = list(history[0])
        _torch_save(ckpt_path, {"model": model.state_dict(), "optimizer": opt.state_dict(),
                                     "scaler": scaler.state_dict(), "g_data": g_data.get_state(),
                                     "g_aug": g_aug.get_state(), "epoch": epoch, "config": cfg.as_dict(),
                                     "history_keys": keys, "history": [[r[k] for k in keys] for r in history]})
        if stop_after_epoch is not None and epoch >= stop_after_epoch:
            break
    return model, history


@torch.no_grad()
def embed(model: ContrastiveClusterer, images: np.ndarray, device: torch.device, batch_size: int = 256
          ) -> tuple[np.ndarray, np.ndarray]:
    """(instance embeddings N x latent_dim, cluster probabilities N x K) of un-augmented images."""
    model.eval()
    zs, ps = [], []
    for i in range(0, images.shape[0], batch_size):
        q = torch.from_numpy(np.ascontiguousarray(images[i:i + batch_size], np.float32)).unsqueeze(1).to(device)
        z, p = model(log_charge(q))
        zs.append(z.float().cpu().numpy())
        ps.append(p.float().cpu().numpy())
    return np.concatenate(zs), np.concatenate(ps)


def save_model(path: str | os.PathLike[str], model: ContrastiveClusterer, cfg: TrainConfig) -> None:
    """Weights and config only: no wall times, so the same training gives a byte-identical file."""
    _torch_save(path, {"model": model.state_dict(), "config": cfg.as_dict()})


def load_model(path: str | os.PathLike[str], device: torch.device) -> tuple[ContrastiveClusterer, TrainConfig]:
    state = torch.load(path, map_location="cpu", weights_only=True)
    cfg = TrainConfig.from_dict(state["config"])
    model = ContrastiveClusterer(cfg.n_clusters, cfg.latent_dim)
    model.load_state_dict(state["model"])
    return model.to(device), cfg
