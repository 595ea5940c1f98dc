"""The contrastive study as the workflow writes it: the clusterer's row, the ceilings, the head choice, stability, ablation."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from hepclust.contrastive.study import UNREFINED
from hepclust.io import read_h5

from .conftest import REPO, copy_workflow, edit_config, planned_jobs, rerun_plan, snakemake

IMAGESETS = ("lartpc", "digits")


def test_metrics_hold_the_clusterer_and_exactly_two_ceilings_marked_as_using_labels(finished_run):
    for s in IMAGESETS:
        m = pd.read_csv(finished_run / f"results/contrastive/{s}/metrics.csv")
        assert (m["method"] == "contrastive clustering").sum() == 1
        ceilings = m[m["uses_labels"]]
        assert len(ceilings) == 2
        assert ceilings["method"].str.contains("linear probe").sum() == 1
        assert ceilings["method"].str.contains("supervised").sum() == 1
        assert ceilings["method"].str.contains("uses labels").all()
        # the digits are one set, clustered and scored whole: their ceilings are cross-fitted, LArTPC's are not
        assert ceilings["method"].str.contains("3-fold cross-fitted").sum() == (2 if s == "digits" else 0)
        assert not m.loc[m["method"] == "contrastive clustering", "uses_labels"].iloc[0]
        # the pixel baselines, from contrastive_baselines; the digits add the raw-pixel ones
        baselines = {"UMAP + HDBSCAN", "autoencoder + k-means", "k-means on raw pixels", "Ward on raw pixels"}
        assert set(m["method"]) & baselines == (baselines if s == "digits" else baselines - {
            "k-means on raw pixels", "Ward on raw pixels"})


def test_heads_table_marks_the_label_free_pick_and_the_clusterer_reports_it(finished_run):
    """Per K: one pick.  Over-clustering: the lowest-loss head.  K = classes: the lowest-loss SCAN head or the
    k-means row, whichever scores higher by the configured criterion (``contrastive.scan.pick``: the augmented
    views' consistency, or the neighbour agreement); the clusterer's accuracy is the pick's."""
    pick = yaml.safe_load((REPO / "config/config.yaml").read_text())["contrastive"]["scan"]["pick"]
    criterion = {"augmentation": "view_consistency", "neighbours": "neighbour_agreement"}[pick]
    for s in IMAGESETS:
        heads = pd.read_csv(finished_run / f"results/contrastive/{s}/heads.csv")
        m = pd.read_csv(finished_run / f"results/contrastive/{s}/metrics.csv").set_index("method")
        for k, group in heads.groupby("n_clusters"):
            assert group["picked_without_labels"].sum() == 1
            scan = group[group["candidate"] == "SCAN head"]
            assert scan.loc[scan["lowest_loss"], "scan_loss"].iloc[0] == scan["scan_loss"].min()
            assert group["best_by_labels"].any()
        k_classes = heads["n_clusters"].iloc[0]  # the heads with K = classes come first, then over-clustering
        group = heads[heads["n_clusters"] == k_classes]
        candidates = group[group["lowest_loss"] | (group["head"] == -1)]
        assert len(candidates) == 2
        picked = group[group["picked_without_labels"]].iloc[0]
        assert picked[criterion] == candidates[criterion].max(), (s, candidates[["candidate", criterion]])
        # where the answer is self-labelled, the pick is its row before that
        answer = UNREFINED if UNREFINED in m.index else "contrastive clustering"
        assert picked["hungarian_accuracy"] == m.loc[answer, "hungarian_accuracy"]


def test_a_clustering_edit_reevaluates_without_recomputing_the_pixel_baselines(finished_run, tmp_path):
    scan_edit = rerun_plan(finished_run, tmp_path / "scan",
                           lambda c: c["contrastive"]["scan"].update({"epochs": c["contrastive"]["scan"]["epochs"] + 1}))
    rules = {r for r, _ in scan_edit}
    assert {"contrastive_scan", "contrastive_evaluate"} <= rules and "contrastive_baselines" not in rules
    baseline_edit = rerun_plan(finished_run, tmp_path / "baseline",
                               lambda c: c["contrastive"]["baseline"].update({"autoencoder_epochs": 3}))
    rules = {r for r, _ in baseline_edit}
    assert {"contrastive_baselines", "contrastive_evaluate"} <= rules
    assert not rules & {"contrastive_train", "contrastive_embed", "contrastive_scan", "contrastive_supervised"}
    assert {w for r, w in baseline_edit if r == "contrastive_baselines"} == {f"imageset={s}" for s in IMAGESETS}


def test_how_the_images_are_read_is_not_a_rerun_trigger(finished_run, tmp_path):
    """Loader workers and the decoded-image cache change how fast the images are read, not the results: editing
    them reruns nothing (as rule params they used to retrain every image set)."""
    defaults = yaml.safe_load((REPO / "config/config.yaml").read_text())["contrastive"]
    edited = {"loader_workers": defaults["loader_workers"] + 2, "loader_cache_mb": 0}
    assert defaults["loader_cache_mb"] != 0
    jobs = rerun_plan(finished_run, tmp_path / "loader", lambda c: c["contrastive"].update(**edited))
    assert jobs == set()
    # the control: a training edit does rerun that image set's training
    jobs = rerun_plan(finished_run, tmp_path / "train", lambda c: c["contrastive"]["train"]["digits"].update(
        epochs=c["contrastive"]["train"]["digits"]["epochs"] + 1))
    assert {w for r, w in jobs if r == "contrastive_train"} == {"imageset=digits, member=0"}


def test_an_added_ensemble_member_trains_alone_and_the_clusterer_reads_both(finished_run, tmp_path):
    """contrastive.members: raising a set's count trains only the new member (its own seed), and re-embeds,
    re-clusters and re-scores that set; the first member's training is kept."""
    jobs = rerun_plan(finished_run, tmp_path / "plan", lambda c: c["contrastive"].update(members={"lartpc": 2}))
    assert {w for r, w in jobs if r == "contrastive_train"} == {"imageset=lartpc, member=1"}
    assert {r for r, w in jobs if "imageset=digits" in w} == set()
    assert {("contrastive_embed", "imageset=lartpc"), ("contrastive_scan", "imageset=lartpc"),
            ("contrastive_evaluate", "imageset=lartpc")} <= jobs

    (tmp_path / "run").mkdir()
    work = copy_workflow(tmp_path / "run")
    subprocess.run(["cp", "-a", str(finished_run / "results"), str(finished_run / ".snakemake"), str(work)],
                   check=True)
    edit_config(work / "tiny.yaml", lambda c: c["contrastive"].update(members={"lartpc": 2}))
    snakemake(work, "results/contrastive/lartpc/metrics.csv", "results/contrastive/lartpc/training.png")
    first = torch.load(work / "results/contrastive/lartpc/member_0/model.pt", weights_only=True)
    second = torch.load(work / "results/contrastive/lartpc/member_1/model.pt", weights_only=True)
    assert first["config"]["seed"] == 5 and second["config"]["seed"] == 1005
    # member 0 is the finished run's training, byte for byte
    assert ((work / "results/contrastive/lartpc/member_0/model.pt").read_bytes()
            == (finished_run / "results/contrastive/lartpc/member_0/model.pt").read_bytes())
    one, _ = read_h5(finished_run / "results/contrastive/lartpc/embedding.h5", "contrastive_embedding")
    two, attrs = read_h5(work / "results/contrastive/lartpc/embedding.h5", "contrastive_embedding")
    assert attrs["params"]["member_seeds"] == [5, 1005]
    width = one["latent"].shape[1]
    assert two["latent"].shape == (one["latent"].shape[0], 2 * width)
    # member 0's half of the side-by-side embedding is the one-member run's embedding
    np.testing.assert_array_equal(two["latent"][:, :width], one["latent"])
    np.testing.assert_array_equal(two["view_features"][..., :one["features"].shape[1]], one["view_features"])
    assert not np.allclose(two["latent"][:, width:], one["latent"])
    metrics = pd.read_csv(work / "results/contrastive/lartpc/metrics.csv")
    assert "contrastive clustering" in set(metrics["method"])


def test_stability_and_ablation_benchmarks_write_every_seed_and_variant(finished_run, tmp_path):
    work = copy_workflow(tmp_path)  # the finished run's images, in a copy: the shared run stays as it was
    subprocess.run(["cp", "-a", str(finished_run / "results"), str(finished_run / ".snakemake"), str(work)],
                   check=True)
    edit_config(work / "tiny.yaml", lambda c: c["contrastive"].update(
        stability={"seeds": [1, 2]}, ablation={"seeds": [1], "variants": ["none", "blocks"]}, members={"lartpc": 2}))
    proc = snakemake(work, "results/contrastive/stability.csv", "results/contrastive/ablation.csv")
    log = proc.stdout + proc.stderr
    # the ablation's `none` at seed 1 is the stability benchmark's seed 1: scored once, not twice; and every
    # member of a run is its own training job (LArTPC 2 members, the digits 1, in each of the 3 runs)
    assert len(re.findall(r"rule contrastive_retrain:", log)) == len(IMAGESETS) * 3, proc.stdout[-3000:]
    assert len(re.findall(r"rule contrastive_retrain_member:", log)) == 3 * (2 + 1), proc.stdout[-3000:]
    per_seed = pd.read_csv(work / "results/contrastive/stability_per_seed.csv")
    summary = pd.read_csv(work / "results/contrastive/stability.csv")
    assert set(per_seed["imageset"]) == set(IMAGESETS) and set(per_seed["seed"]) == {1, 2}
    assert (per_seed["training_sessions"] == 1).all()  # fresh trainings, none resumed from a checkpoint
    # the LArTPC clusterer of every seed reads two trainings (their checkpoints side by side), the digits one
    assert per_seed.groupby("imageset")["members"].unique().map(list).to_dict() == {"lartpc": [2], "digits": [1]}
    retrained = work / "results/contrastive/retrained"
    assert (retrained / "lartpc/none_seed_1/member_1/checkpoint.pt").exists()
    assert not (retrained / "digits/none_seed_1/member_1").exists()
    # a member is the configured training with the run's seed (member 0) or its member seed, the variant's
    # augmentation off; blocks off is the only change the ablation made
    configs = {(v, m): torch.load(retrained / f"lartpc/{v}_seed_1/member_{m}/model.pt", weights_only=True)["config"]
             for v in ("none", "blocks") for m in (0, 1)}
    assert {k: c["seed"] for k, c in configs.items()} == {("none", 0): 1, ("none", 1): 1001, ("blocks", 0): 1,
                                                       ("blocks", 1): 1001}
    assert configs[("blocks", 0)]["augment"] == {**configs[("none", 0)]["augment"], "large_blocks": [0, 0],
                                               "small_blocks": [0, 0]}
    ours = summary[summary["method"] == "contrastive clustering"].set_index("imageset")
    for s in IMAGESETS:
        accs = per_seed[(per_seed["imageset"] == s) & (per_seed["method"] == "contrastive clustering")]
        assert ours.loc[s, "hungarian_accuracy_min"] == accs["hungarian_accuracy"].min()
        assert ours.loc[s, "n_seeds"] == 2
    assert summary["method"].str.contains("oracle").any()

    ablation = pd.read_csv(work / "results/contrastive/ablation.csv")
    ablation_rows = pd.read_csv(work / "results/contrastive/ablation_per_seed.csv")
    assert set(ablation["augmentation_off"]) == {"none", "blocks"}
    ours = ablation[ablation["method"] == "contrastive clustering"].set_index(["imageset", "augmentation_off"])
    for s in IMAGESETS:
        assert ours.loc[(s, "none"), "hungarian_accuracy_change"] == 0
        change = ours.loc[(s, "blocks"), "hungarian_accuracy"] - ours.loc[(s, "none"), "hungarian_accuracy"]
        assert ours.loc[(s, "blocks"), "hungarian_accuracy_change"] == pytest.approx(change)
    # the pixel baselines do not depend on the augmentation: only the configured run has them
    blocks = ablation_rows[ablation_rows["augmentation_off"] == "blocks"]
    assert not blocks["method"].str.contains("pixels").any()
    assert ablation_rows[ablation_rows["augmentation_off"] == "none"]["method"].str.contains("pixels").any()
    assert blocks["method"].str.startswith("linear probe on the contrastive encoder").sum() == len(IMAGESETS)

    # the members' trainings are kept: a change of the second stage re-scores every run and retrains none
    edit_config(work / "tiny.yaml", lambda c: c["contrastive"]["scan"].update(entropy_weight=4.0))
    plan = planned_jobs(snakemake(work, "-n", "results/contrastive/stability.csv",
                                  "results/contrastive/ablation.csv").stdout)
    assert {r for r, _ in plan} == {"contrastive_retrain", "contrastive_stability", "contrastive_ablation"}, plan
    assert sum(r == "contrastive_retrain" for r, _ in plan) == len(IMAGESETS) * 3
