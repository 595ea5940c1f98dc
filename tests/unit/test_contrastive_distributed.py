"""Data-parallel training: 2 gloo ranks with B/2 images each train the same objective as 1 rank with B."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from hepclust.contrastive.distributed import GlobalBatchNorm2d, current_world, gather_batch, global_batchnorm
from hepclust.contrastive.model import ContrastiveClusterer
from hepclust.contrastive.train import TrainConfig, load_checkpoint, train

from .imagesets import write_set

# the real model and augmentation at a small size: 32 x 32 images, global batch 16, 2 steps per epoch
# NCHW: in channels-last layout oneDNN's weight-gradient sums depend on the batch size (TrainConfig.channels_last)
# Learning rate 1e-5: the two runs are compared by their weight *updates*, in the regime where the network barely
# moves.  Why not a training rate: a gradient entry that is zero up to rounding (measured: -2e-8 against a largest
# 0.44, one of 330k weights) has no meaningful sign, the all-reduce may round it the other way, and Adam's first
# step moves every entry by about the learning rate whatever its size; at 1e-3 that one entry then steered the
# two trajectories 4e-3 apart within 4 steps (the augmentation of 9695152), chaos, not a data-parallel error.
CFG = TrainConfig(n_clusters=3, latent_dim=16, epochs=2, batch_size=16, learning_rate=1e-5, seed=7,
                  channels_last=False)


def _images(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    img = np.zeros((n, 32, 32), np.float32)
    for i in range(n):
        c = rng.integers(4, 28)
        if i % 2:
            img[i, :, c - 1:c + 1] = 30 + rng.random()
        else:
            img[i, c - 1:c + 1, :] = 30 + rng.random()
    return img


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(rank: int, world: int, port: int, manifest: str, ckpt: str, out: str, stop: int | None) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        model, history = train(manifest, CFG, ckpt, torch.device("cpu"), stop_after_epoch=stop, workers=1)
        if rank == 0:
            torch.save({"model": model.state_dict(), "history": history}, out)
    finally:
        dist.destroy_process_group()


def _two_ranks(tmp: Path, manifest: Path, ckpt: str, stop: int | None = None) -> dict:
    out = tmp / f"ddp_{Path(ckpt).stem}.pt"
    mp.spawn(_rank, args=(2, _free_port(), str(manifest), ckpt, str(out), stop), nprocs=2, join=True)
    return torch.load(out, weights_only=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ddp")
    manifest = write_set(tmp, _images(32), 12)  # 3 shards of 12, 12, 8 images
    torch.set_num_threads(1)
    model, history = train(manifest, CFG, tmp / "one.pt", torch.device("cpu"))
    one = {"model": model.state_dict(), "history": history}
    two = _two_ranks(tmp, manifest, str(tmp / "two.pt"))
    # pre-empted after epoch 0 on two ranks, resumed on one
    _two_ranks(tmp, manifest, str(tmp / "moved.pt"), stop=0)
    moved_epoch = load_checkpoint(tmp / "moved.pt")["epoch"]
    model, history = train(manifest, CFG, tmp / "moved.pt", torch.device("cpu"))
    moved = {"model": model.state_dict(), "history": history, "stopped_after": moved_epoch}
    return one, two, moved


def _initial_weights() -> dict:
    """The weights train() starts from (it seeds torch with the config's seed, then builds the model)."""
    torch.manual_seed(CFG.seed)
    return ContrastiveClusterer(CFG.n_clusters, CFG.latent_dim, channels=CFG.channels).state_dict()


def _update_mismatch(a: dict, b: dict) -> float:
    """|update_a - update_b| / |update_a| over every trainable weight: 0 for the same training; of order 1 when the
    ranks optimise another objective (their own batch norm statistics, the wrong rows of the batch)."""
    start = _initial_weights()
    keys = [k for k in a if a[k].is_floating_point() and "running" not in k]
    da = torch.cat([(a[k].double() - start[k].double()).flatten() for k in keys])
    db = torch.cat([(b[k].double() - start[k].double()).flatten() for k in keys])
    return ((da - db).norm() / da.norm()).item()


def _max_buffer_diff(a: dict, b: dict) -> float:
    return max((a[k].double() - b[k].double()).abs().max().item() for k in a if "running" in k)


def test_two_ranks_see_the_same_losses_as_one_rank_with_the_same_global_batch(runs):
    one, two, _ = runs
    for r1, r2 in zip(one["history"], two["history"], strict=True):
        for k in ("instance_loss", "cluster_loss", "entropy_term"):
            assert r2[k] == pytest.approx(r1[k], rel=1e-5, abs=1e-6), (r1["epoch"], k)
    terms = ("instance_loss", "cluster_loss", "entropy_term")
    worst = max(abs(r1[k] - r2[k]) for r1, r2 in zip(one["history"], two["history"]) for k in terms)
    print(f"1 vs 2 ranks: max loss difference {worst:.2e}")


def test_two_ranks_end_with_the_same_weights_and_batch_norm_statistics_as_one(runs):
    one, two, _ = runs
    assert one["model"].keys() == two["model"].keys()
    mismatch, buffers = _update_mismatch(one["model"], two["model"]), _max_buffer_diff(one["model"], two["model"])
    print(f"1 vs 2 ranks after 4 steps: weight updates differ by {mismatch:.2e} (relative), running statistics by "
          f"{buffers:.2e}")
    assert mismatch < 1e-2 and buffers < 1e-5
    assert torch.equal(one["model"]["encoder.features.5.num_batches_tracked"],
                       two["model"]["encoder.features.5.num_batches_tracked"])


def test_a_checkpoint_from_two_ranks_resumes_on_one(runs):
    one, _, moved = runs
    assert moved["stopped_after"] == 0
    assert [r["epoch"] for r in moved["history"]] == [0.0, 1.0]
    assert _update_mismatch(one["model"], moved["model"]) < 1e-2
    assert _max_buffer_diff(one["model"], moved["model"]) < 1e-5


def _bn_rank(rank: int, port: int, x: torch.Tensor, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    try:
        torch.manual_seed(0)
        bn = GlobalBatchNorm2d(3)
        with torch.no_grad():
            bn.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
        local = x[rank * 2:(rank + 1) * 2].clone().requires_grad_(True)
        y = gather_batch(bn(local), current_world())
        (y ** 3).sum().backward()
        grads = gather_batch(local.grad, current_world())
        dist.all_reduce(bn.weight.grad)  # what DDP does (then divides by the world size)
        if rank == 0:
            torch.save({"y": y.detach(), "grad": grads, "rm": bn.running_mean, "rv": bn.running_var,
                        "wgrad": bn.weight.grad}, out)
    finally:
        dist.destroy_process_group()


def test_global_batch_norm_on_two_ranks_equals_torch_batch_norm_on_the_whole_batch(tmp_path):
    x = torch.randn(4, 3, 5, 5, dtype=torch.float64).float()
    mp.spawn(_bn_rank, args=(_free_port(), x, str(tmp_path / "bn.pt")), nprocs=2, join=True)
    got = torch.load(tmp_path / "bn.pt")
    ref = torch.nn.BatchNorm2d(3)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
    xr = x.clone().requires_grad_(True)
    y = ref(xr)
    (y ** 3).sum().backward()
    assert torch.allclose(got["y"], y, atol=1e-5)
    assert torch.allclose(got["rm"], ref.running_mean, atol=1e-6)
    assert torch.allclose(got["rv"], ref.running_var, atol=1e-5)
    # both ranks compute the same global loss, so each input's gradient arrives twice; DDP's average halves it
    assert torch.allclose(got["grad"] / 2, xr.grad, atol=1e-4)
    assert torch.allclose(got["wgrad"] / 2, ref.weight.grad, rtol=1e-4)


def test_global_batchnorm_replaces_every_batch_norm_and_keeps_the_state_dict_keys():
    m = ContrastiveClusterer(4, 8)
    keys = set(m.state_dict())
    g = global_batchnorm(m, torch.device("cpu"))
    assert not any(type(x) is torch.nn.BatchNorm2d for x in g.modules())
    assert sum(isinstance(x, GlobalBatchNorm2d) for x in g.modules()) == 4
    assert set(g.state_dict()) == keys
