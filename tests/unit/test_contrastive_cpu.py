"""A torch job's process: freed memory kept for reuse changes where memory comes from, never what is computed.

Each case runs in a fresh interpreter: the setting is process-wide and cannot be undone."""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from .imagesets import write_set

GLIBC = hasattr(ctypes.CDLL(None), "mallopt") and hasattr(ctypes.CDLL(None), "gnu_get_libc_version")
needs_glibc = pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


TRAIN = """
    import json, resource, torch
    from hepclust.contrastive.cpu import use_cpu
    from hepclust.contrastive.train import TrainConfig, train
    if {keep}:
        use_cpu(1)
    else:
        torch.set_num_threads(1)
    cfg = TrainConfig(n_clusters=2, latent_dim=8, epochs=2, batch_size=128, learning_rate=1e-3, seed=4,
                      channels=(16, 32, 64, 128, 128, 128))  # the default encoder: 16 MB first-block activations
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    model, history = train({manifest!r}, cfg, {checkpoint!r}, torch.device("cpu"))
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    print(json.dumps({{"faults": faults, "weights": [float(v.double().sum()) for v in model.state_dict().values()],
                       "first": model.encoder.features[0].weight.flatten()[:8].tolist(),
                       "loss": [h["instance_loss"] for h in history]}}))
"""


@needs_glibc
def test_a_training_with_memory_kept_faults_less_and_is_bit_for_bit_the_training_without(tmp_path):
    """Two epochs on LArTPC-sized images (64 x 128), in fresh interpreters: the same weights and losses to the
    last bit, and far fewer pages faulted in (the training's own minor page faults, from the kernel's count)."""
    rng = np.random.default_rng(0)
    images = (rng.random((256, 64, 128)) * (rng.random((256, 64, 128)) < 0.05) * 20).astype(np.float32)
    manifest = write_set(tmp_path, images, 128)
    plain = _run(TRAIN.format(keep=False, manifest=str(manifest), checkpoint=str(tmp_path / "a.pt")))
    kept = _run(TRAIN.format(keep=True, manifest=str(manifest), checkpoint=str(tmp_path / "b.pt")))
    assert kept.pop("faults") < 0.8 * plain.pop("faults")  # measured 68,900 against 104,700
    assert plain == kept
