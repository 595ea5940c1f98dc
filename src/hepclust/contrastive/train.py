"""Training loop: streaming input, data parallel on any number of ranks, AMP on CUDA (bfloat16 on CPUs that have
it, where configured), resumable.

A SLURM job can be pre-empted or hit its time limit at any moment, so every
epoch ends with an atomic checkpoint (written by rank 0) holding everything
needed to continue *exactly*: model, optimiser, AMP scaler, the epoch and the
loss history.  No random state needs saving: the data order of an epoch comes
from (seed, epoch) and the augmentation of a step from (seed, epoch, step).
A restarted job whose config matches the checkpoint's continues from the next
epoch, on any number of ranks, and ends with the same weights as an
uninterrupted run (on the CPU with one rank, bit for bit).  Checkpoints hold
only tensors and plain containers, so they load with ``torch.load(weights_only=True)``.

``batch_size`` is the *global* batch: each of N ranks takes batch_size / N
images of it, and the losses are computed on the all-gathered global batch,
so the objective does not depend on the number of ranks.
"""

from __future__ import annotations

import copy
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
import torch.distributed as dist
from torch import nn

from hepclust.contrastive.augment import AugmentConfig, augment, log_charge
from hepclust.contrastive.data import GlobalBatchSampler, ShardedImages, loader, seed_for, sequential_loader
from hepclust.contrastive.distributed import current_world, gather_batch, global_batchnorm
from hepclust.contrastive.losses import assignment_entropy, cluster_loss, nt_xent
from hepclust.contrastive.model import ENCODER_CHANNELS, ContrastiveClusterer
from hepclust.io import atomic_output

log = logging.getLogger(__name__)

CPU_PRECISIONS = ("float32", "bfloat16")


class NonFiniteLossError(FloatingPointError):
    """A training step's loss is NaN or infinite: the next step would make the weights NaN and the epoch's
    checkpoint would overwrite the last good one, so the training stops at once."""


def native_cpu_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively in oneDNN (AVX512-BF16 or AMX)."""
    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def bfloat16_gradients_reproducible(model: nn.Module, image_shape: tuple[int, ...], batch: int,
                                    repeats: int = 3) -> bool:
    """Whether ``repeats`` bfloat16-autocast backward passes of one batch of this shape give finite gradients,
    identical bit for bit.

    Why ask: torch 2.13's oneDNN bfloat16 convolution weight gradients come out NaN, or differ between identical
    calls, for some input shapes on some CPUs (32 x 32 images on an AMD EPYC, 32 x 32 and 32 x 64 on an Intel
    host with AMX), while 64 x 128 LArTPC images were exact on both.  On the EPYC the culprit was the last
    convolution on 32 x 32 images (1 x 1 onto 1 x 1), which the encoder now keeps in float32; the check stays,
    for the shapes and CPUs not measured.  It costs ``repeats`` training steps on a copy of the model; the
    training itself is untouched."""
    probe = copy.deepcopy(model).train()
    x = torch.rand(batch, *image_shape, generator=torch.Generator().manual_seed(0))
    x = x.contiguous(memory_format=torch.channels_last)
    grads = []
    for _ in range(repeats):
        probe.zero_grad(set_to_none=True)
        with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
            z, p = probe(x)
        (z.float().square().sum() + p.float().clamp_min(1e-8).log().sum()).backward()
        grads.append(torch.cat([q.grad.flatten() for q in probe.parameters() if q.grad is not None]))
    return all(bool(torch.isfinite(g).all()) and torch.equal(g, grads[0]) for g in grads)


def autocast_dtype(device: torch.device, cpu_precision: str, model: nn.Module | None = None,
                   image_shape: tuple[int, ...] | None = None, batch: int = 0) -> torch.dtype | None:
    """The autocast dtype of a training step, ``None`` for plain float32.

    CUDA: float16 (with a gradient scaler).  CPU: bfloat16 when asked for, the CPU has it natively, and (given
    ``model`` and the batch's ``image_shape``) :func:`bfloat16_gradients_reproducible`; float32 otherwise, with
    a warning that says why (emulated bfloat16 costs more than it saves; a non-reproducible one would make the
    training neither repeatable nor safe).  Why bfloat16 and not float16 on the CPU: it keeps float32's exponent
    range, so the CPU step needs no gradient scaling."""
    if device.type == "cuda":
        return torch.float16
    if device.type != "cpu" or cpu_precision != "bfloat16":
        return None
    if not native_cpu_bfloat16():
        log.warning("cpu_precision bfloat16: this CPU has no native bfloat16 (AVX512-BF16 or AMX); training in "
                    "float32")
        return None
    if model is not None and image_shape is not None and not bfloat16_gradients_reproducible(model, image_shape,
                                                                                             batch):
        log.warning("cpu_precision bfloat16: oneDNN's bfloat16 gradients of %s images are not reproducible on "
                    "this CPU (NaN or different between identical calls); training in float32",
                    " x ".join(map(str, image_shape[-2:])))
        return None
    return torch.bfloat16


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
    channels: tuple[int, ...] = ENCODER_CHANNELS
    # Convolutions in channels-last layout: 1.65x faster training steps on a CPU at 64 x 128 and 1.3x at 32 x 32
    # (one thread, oneDNN).  Only the layout changes, not the arithmetic's meaning; but oneDNN then reduces the
    # weight gradients in an order that depends on the batch size, so one rank and two ranks with half the batch
    # agree to rounding per step only (after an epoch of Adam: 6e-3 in the loss).  The rank-equivalence tests
    # therefore train in NCHW, where they agree to 1e-5.
    channels_last: bool = True
    # Arithmetic of a training on the CPU: "float32", or "bfloat16" autocast (convolutions and matrix products in
    # bfloat16, losses and weights in float32), 1.8x faster LArTPC training steps on a CPU with native bfloat16
    # (AVX512-BF16 or AMX).  Where the CPU lacks it, or its bfloat16 gradients of the set's image shape are not
    # reproducible, the training runs in float32 with a warning (:func:`autocast_dtype`).  On CUDA the training
    # always autocasts to float16.  Both default sets train in bfloat16; on 32 x 32 digits the encoder keeps its
    # single-pixel convolutions in float32, where oneDNN's bfloat16 weight gradient reads unwritten memory
    # (:class:`hepclust.contrastive.model.Encoder`).
    cpu_precision: str = "float32"
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def __post_init__(self) -> None:
        if self.cpu_precision not in CPU_PRECISIONS:
            raise ValueError(f"cpu_precision must be one of {CPU_PRECISIONS}, got {self.cpu_precision!r}")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["channels"] = list(self.channels)
        d["augment"] = {k: list(v) if isinstance(v, tuple) else v for k, v in d["augment"].items()}
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "TrainConfig":
        aug = {k: tuple(v) if isinstance(v, list) else v for k, v in d.get("augment", {}).items()}
        plain = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k != "augment"}
        return TrainConfig(**plain, augment=AugmentConfig(**aug))


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


def _same_config(saved: dict[str, Any], cfg: TrainConfig) -> bool:
    """Whether a checkpoint's config is ``cfg``, compared as configs rather than dicts: a checkpoint written
    before a field existed (e.g. ``augment.padding``) reads that field as its default, which is what it was
    trained with, and so resumes.  A config this code cannot build (a field since removed) does not match."""
    try:
        return TrainConfig.from_dict(saved) == cfg
    except (TypeError, ValueError):
        return False


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=True)


class _TwoViews(nn.Module):
    """Both views through the model in one call, so DDP sees one forward per backward."""

    def __init__(self, model: ContrastiveClusterer) -> None:
        super().__init__()
        self.model = model

    def forward(self, xa: torch.Tensor, xb: torch.Tensor) -> tuple[torch.Tensor, ...]:
        za, pa = self.model(xa)
        zb, pb = self.model(xb)
        return za, zb, pa, pb


def train(images: ShardedImages | str | os.PathLike[str], cfg: TrainConfig, checkpoint: str | os.PathLike[str],
          device: torch.device, stop_after_epoch: int | None = None, workers: int = 0
          ) -> tuple[ContrastiveClusterer, list[dict[str, float]]]:
    """Train on an image set (manifest path or dataset); resume from ``checkpoint`` when it matches ``cfg``.

    Runs on every rank of an initialised process group (or alone).
    ``stop_after_epoch`` ends the run early (as a pre-emption would) -- used by
    tests of the resume logic.  Returns the (unwrapped) model and the per-epoch history.
    """
    world = current_world()
    dataset = images if isinstance(images, ShardedImages) else ShardedImages(images)
    sampler = GlobalBatchSampler(len(dataset), cfg.batch_size, world.rank, world.size, cfg.seed)
    ckpt_path = Path(checkpoint)
    torch.manual_seed(cfg.seed)
    model = ContrastiveClusterer(cfg.n_clusters, cfg.latent_dim, channels=cfg.channels)
    layout = torch.channels_last if cfg.channels_last else torch.contiguous_format
    # asked of the plain model, before the wrapper that synchronises its batch norm across ranks
    amp_dtype = autocast_dtype(device, cfg.cpu_precision, model.to(memory_format=layout),
                               (1, dataset.manifest.height, dataset.manifest.width), sampler.local)
    if world.size > 1:
        model = global_batchnorm(model, device)
    model = model.to(device, memory_format=layout)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    if world.size > 1 and device.type == "cpu":  # every rank trains in the same arithmetic
        agree = torch.tensor([amp_dtype is not None], dtype=torch.int32)
        dist.all_reduce(agree, op=dist.ReduceOp.MIN)
        amp_dtype = amp_dtype if bool(agree) else None
    scaler = torch.amp.GradScaler("cuda", enabled=device.type == "cuda")
    history: list[dict[str, float]] = []
    start = 0
    if ckpt_path.exists():
        state = load_checkpoint(ckpt_path)
        if _same_config(state["config"], cfg):
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            scaler.load_state_dict(state["scaler"])
            # checkpoints from before the session column count as one session
            history = [{"session": 0.0, **dict(zip(state["history_keys"], row))} for row in state["history"]]
            start = int(state["epoch"]) + 1
            log.info("resuming from %s after epoch %d (world size now %d)", ckpt_path, start - 1, world.size)
        else:
            log.warning("ignoring checkpoint %s: it was made with another config", ckpt_path)
    if world.size > 1:
        dist.barrier()  # nobody may overwrite the checkpoint before every rank has read it
    step_model: nn.Module = _TwoViews(model)
    if world.size > 1:
        step_model = nn.parallel.DistributedDataParallel(
            step_model, device_ids=[device.index] if device.type == "cuda" else None)

    # 0 for a training that starts from scratch, one more at each resume: history.csv (and the stability table)
    # then show which epochs came from a checkpoint, e.g. after a pre-emption
    session = max((r["session"] for r in history), default=-1.0) + 1.0
    batches = loader(dataset, sampler, workers, pin_memory=device.type == "cuda")
    rows = slice(world.rank * sampler.local, (world.rank + 1) * sampler.local)
    for epoch in range(start, cfg.epochs):
        model.train()
        sampler.set_epoch(epoch)
        t0 = time.perf_counter()
        sums = {"instance_loss": 0.0, "cluster_loss": 0.0, "entropy_term": 0.0}
        assign = torch.zeros(cfg.n_clusters, device=device)
        n_batches = 0
        for step, (q, _) in enumerate(batches):
            q = q.to(device, non_blocking=True)
            g_aug = torch.Generator(device=device).manual_seed(seed_for(cfg.seed, epoch, step))
            xa = augment(q, cfg.augment, g_aug, cfg.batch_size, rows).contiguous(memory_format=layout)
            xb = augment(q, cfg.augment, g_aug, cfg.batch_size, rows).contiguous(memory_format=layout)
            with torch.autocast(device_type=device.type, dtype=amp_dtype or torch.float32,
                                enabled=amp_dtype is not None):
                za, zb, pa, pb = step_model(xa, xb)
            za, zb, pa, pb = (gather_batch(t.float(), world) for t in (za, zb, pa, pb))
            li = nt_xent(za, zb, cfg.instance_temperature)
            lc, reg = cluster_loss(pa, pb, cfg.cluster_temperature)
            loss = li + lc + reg
            if not torch.isfinite(loss):
                raise NonFiniteLossError(f"epoch {epoch}, step {step}: training loss {loss.item()} (instance "
                                         f"{li.item()}, cluster {lc.item()}, entropy term {reg.item()}); "
                                         f"cpu_precision {cfg.cpu_precision!r} on {device.type}")
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
        row = {"epoch": float(epoch), "session": session, **{k: v / max(n_batches, 1) for k, v in sums.items()},
               "cluster_size_entropy": float(assignment_entropy(assign[None]) / math.log(cfg.n_clusters)),
               "images_per_s": n_batches * cfg.batch_size / seconds, "seconds": seconds}
        history.append(row)
        log.info("epoch %d: instance %.4f cluster %.4f entropy-term %.4f size-entropy %.3f (%.0f img/s, %d ranks)",
                 epoch, row["instance_loss"], row["cluster_loss"], row["entropy_term"],
                 row["cluster_size_entropy"], row["images_per_s"], world.size)
        if world.is_main:
            keys = list(history[0])
            _torch_save(ckpt_path, {"model": model.state_dict(), "optimizer": opt.state_dict(),
                                    "scaler": scaler.state_dict(), "epoch": epoch, "config": cfg.as_dict(),
                                    "history_keys": keys, "history": [[r[k] for k in keys] for r in history]})
        if stop_after_epoch is not None and epoch >= stop_after_epoch:
            break
    if world.size > 1:
        dist.barrier()
    return model.to(memory_format=torch.contiguous_format), history


@torch.no_grad()
def embed(model: ContrastiveClusterer, images: ShardedImages | str | os.PathLike[str], device: torch.device,
          batch_size: int = 256, workers: int = 0, views: int = 0, augment_cfg: AugmentConfig | None = None,
          seed: int = 0) -> dict[str, np.ndarray]:
    """Streamed through the model in eval mode, every image of a set gives:

    ``features`` (N x encoder width, before the heads), ``latent`` (N x latent_dim,
    the instance embedding), ``probabilities`` (N x K, the cluster head) of the
    un-augmented image; with ``views`` > 0 also ``view_features`` (views x N x width)
    and ``view_latent`` (views x N x latent_dim) of that many augmented views, seeded
    by (seed, view, batch) -- what a second clustering stage trains on, and judges
    its partitions by, without running the network again.
    """
    dataset = images if isinstance(images, ShardedImages) else ShardedImages(images)
    if views and augment_cfg is None:
        raise ValueError("augmented views need augment_cfg")
    model.eval()
    out: dict[str, list[np.ndarray]] = {"features": [], "latent": [], "probabilities": []}
    view_parts: list[list[np.ndarray]] = [[] for _ in range(views)]
    view_latents: list[list[np.ndarray]] = [[] for _ in range(views)]

    def features(x: torch.Tensor) -> torch.Tensor:
        return model.encoder(x.contiguous(memory_format=torch.channels_last))

    for b, (q, _) in enumerate(sequential_loader(dataset, batch_size, workers, pin_memory=device.type == "cuda")):
        q = q.to(device, non_blocking=True)
        h = features(log_charge(q))
        z, p = model.heads(h)
        for key, value in zip(out, (h, z, p)):
            out[key].append(value.float().cpu().numpy())
        for v in range(views):
            g = torch.Generator(device=device).manual_seed(seed_for(seed, v, b))
            hv = features(augment(q, augment_cfg, g))
            view_parts[v].append(hv.float().cpu().numpy())
            view_latents[v].append(model.heads(hv)[0].float().cpu().numpy())
    result = {k: np.concatenate(v) for k, v in out.items()}
    if views:
        result["view_features"] = np.stack([np.concatenate(parts) for parts in view_parts])
        result["view_latent"] = np.stack([np.concatenate(parts) for parts in view_latents])
    return result


def save_model(path: str | os.PathLike[str], model: ContrastiveClusterer, cfg: TrainConfig) -> None:
    """Weights and config only: no wall times, so the same training gives a byte-identical file."""
    _torch_save(path, {"model": model.state_dict(), "config": cfg.as_dict()})


def load_model(path: str | os.PathLike[str], device: torch.device) -> tuple[ContrastiveClusterer, TrainConfig]:
    state = torch.load(path, map_location="cpu", weights_only=True)
    cfg = TrainConfig.from_dict(state["config"])
    model = ContrastiveClusterer(cfg.n_clusters, cfg.latent_dim, channels=cfg.channels)
    model.load_state_dict(state["model"])
    return model.to(device), cfg
