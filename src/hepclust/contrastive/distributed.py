"""Data-parallel training on torch.distributed: process group, global-batch collectives, the launch command.

Ranks are started by ``torchrun`` (one agent per SLURM task under ``srun``, c10d
rendezvous on the first node of the allocation) or not at all: a world of one
is a plain process and never touches torch.distributed.

The Contrastive Clustering losses are defined over the whole batch (every
image is contrasted with every other), so each rank all-gathers the four
projections *with gradients* and computes the loss of the global batch.
Batch norm likewise needs global-batch statistics: ``SyncBatchNorm`` on GPUs;
on CPUs (gloo), where torch's SyncBatchNorm refuses to run, an all-reduce
batch norm with the same parameters and buffers (so checkpoints move freely
between world sizes and devices).
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
import torch.distributed.nn.functional as dist_fn
from torch import nn


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def current_world() -> World:
    """This process's place in the process group (a world of one when there is none)."""
    if dist.is_available() and dist.is_initialized():
        return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))
    return World()


def init_from_env(device_request: str) -> tuple[World, torch.device]:
    """Join the process group torchrun describes in the environment: NCCL with GPUs, gloo on CPUs."""
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    use_cuda = device_request.startswith("cuda") or (device_request == "auto" and torch.cuda.is_available())
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    dist.init_process_group("nccl" if use_cuda else "gloo")
    return current_world(), device


def _quiet(collective, *args):
    """torch 2.13 marks torch.distributed.nn.functional deprecated in favour of a *private* module; the
    public, differentiable collectives stay our choice, without a warning per batch in the log."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return collective(*args)


def gather_batch(t: torch.Tensor, world: World) -> torch.Tensor:
    """Concatenate every rank's rows in rank order, keeping the autograd graph across ranks."""
    if world.size == 1:
        return t
    return torch.cat(_quiet(dist_fn.all_gather, t), dim=0)


class GlobalBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d whose training statistics are those of the global batch (all-reduced, differentiable).

    Same parameters and buffers as nn.BatchNorm2d.  Two passes (mean, then
    the centred second moment) as torch's own batch norm, for the same rounding.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        c = x.shape[1]
        count = torch.tensor([x.numel() / c], dtype=x.dtype, device=x.device)
        total = _quiet(dist_fn.all_reduce, torch.cat([x.sum(dim=(0, 2, 3)), count]))
        n = total[-1]
        mean = total[:c] / n
        centred = x - mean.view(1, c, 1, 1)
        var = _quiet(dist_fn.all_reduce, (centred * centred).sum(dim=(0, 2, 3))) / n
        with torch.no_grad():
            self.num_batches_tracked += 1
            m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
            self.running_mean.mul_(1 - m).add_(m * mean.detach())
            self.running_var.mul_(1 - m).add_(m * var.detach() * n / (n - 1))
        y = centred * torch.rsqrt(var + self.eps).view(1, c, 1, 1)
        return y * self.weight.view(1, c, 1, 1) + self.bias.view(1, c, 1, 1)


def global_batchnorm(model: nn.Module, device: torch.device) -> nn.Module:
    """Batch norms see the global batch: torch's SyncBatchNorm on GPUs, GlobalBatchNorm2d on CPUs."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(model)
    for name, child in model.named_children():
        if type(child) is nn.BatchNorm2d:
            new = GlobalBatchNorm2d(child.num_features, child.eps, child.momentum, child.affine,
                                    child.track_running_stats)
            new.load_state_dict(child.state_dict())
            setattr(model, name, new)
        else:
            global_batchnorm(child, device)
    return model


def rank_banner(world: World, device: torch.device) -> str:
    """One line per rank for the log: where the scheduler put it."""
    env = os.environ
    return (f"rank {world.rank}/{world.size} (local {world.local_rank}) on {socket.gethostname()}, device {device}, "
            f"SLURM job {env.get('SLURM_JOB_ID', '-')} on partition {env.get('SLURM_JOB_PARTITION', '-')}, "
            f"node {env.get('SLURMD_NODENAME', '-')}, CUDA_VISIBLE_DEVICES={env.get('CUDA_VISIBLE_DEVICES', '')}")


def launch_command(nodes: int, ranks_per_node: int, cpus_per_rank: int, gpus_per_rank: int,
                   args: Mapping[str, Any], in_slurm: bool) -> list[str]:
    """The command that starts ``nodes * ranks_per_node`` training ranks of :mod:`hepclust.contrastive.worker`.

    In a SLURM allocation: ``srun`` starts one task per rank (each with its own
    GPU), each task runs a torchrun agent with one worker, and the agents meet
    by c10d rendezvous on the allocation's first node (``scontrol show
    hostnames``), on a port derived from the job id.  Elsewhere (one node
    only): ``torchrun --standalone``.  torchrun is run as ``python -m
    torch.distributed.run`` with the rule's own interpreter.
    """
    payload = json.dumps(dict(args), sort_keys=True)
    module = ["-m", "hepclust.contrastive.worker", payload]
    world = nodes * ranks_per_node
    if not in_slurm:
        if nodes != 1:
            raise ValueError(f"nodes={nodes}: more than one node needs a SLURM allocation")
        return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={ranks_per_node}",
                *module]
    agent = ("export MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1); "
             f"exec {shlex.quote(sys.executable)} -m torch.distributed.run "
             "--nnodes=\"$SLURM_NTASKS\" --nproc-per-node=1 --rdzv-backend=c10d "
             "--rdzv-id=\"$SLURM_JOB_ID\" --rdzv-endpoint=\"$MASTER_ADDR:$((20000 + SLURM_JOB_ID % 20000))\" "
             "--max-restarts=0 " + shlex.join(module))
    # no --ntasks-per-node: the allocation (--ntasks, --ntasks-per-gpu=1, --gpus) fixes where the tasks go, and
    # a rank's place does not matter (one agent per task, ranks assigned by the rendezvous)
    srun = ["srun", f"--nodes={nodes}", f"--ntasks={world}", f"--cpus-per-task={cpus_per_rank}",
            "--kill-on-bad-exit=1", "--export=ALL"]
    if gpus_per_rank > 0:
        srun.append(f"--gpus-per-task={gpus_per_rank}")
    return [*srun, "bash", "-c", agent]


def run_logged(cmd: Sequence[str], log: Any) -> None:
    """Run the launch command, every line the ranks print going into the rule's log; fail if any rank fails."""
    import subprocess

    log.info("launching: %s", shlex.join(cmd))
    with subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.info("| %s", line.rstrip())
    if proc.returncode != 0:
        raise RuntimeError(f"training ranks failed (exit status {proc.returncode}): {shlex.join(cmd)}")
