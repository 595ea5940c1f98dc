"""The test cluster leaves no SLURM configuration behind, and never removes one it did not write."""

from __future__ import annotations

from tests.slurm import cluster


def test_remove_config_deletes_only_the_files_the_test_cluster_wrote(tmp_path, monkeypatch):
    ours, foreign = tmp_path / "slurm.conf", tmp_path / "gres.conf"
    monkeypatch.setattr(cluster, "SLURM_CONF", ours)
    monkeypatch.setattr(cluster, "GRES_CONF", foreign)
    ours.write_text(f"{cluster.MARKER}\nClusterName=hepclust-test\n")
    foreign.write_text("NodeName=gpu01 Name=gpu File=/dev/nvidia0\n")  # a real site's file
    assert cluster.remove_config() == [ours]
    assert not ours.exists()
    assert foreign.read_text() == "NodeName=gpu01 Name=gpu File=/dev/nvidia0\n"
    assert cluster.remove_config() == []  # nothing left of ours: a second call is harmless
