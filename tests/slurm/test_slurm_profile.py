"""The whole workflow through the SLURM profile, exactly as the README tells a cluster user to run it,
on a real (single-node) SLURM cluster: every rule becomes a SLURM job, then the report is built."""

from __future__ import annotations

import re
import subprocess

import pandas as pd
import pytest

from tests.workflow.conftest import copy_workflow, edit_config, planned_jobs

pytestmark = pytest.mark.slurm

# what a user checks first after a cluster run: one result of every part of the study
KEY_OUTPUTS = ["results/summary.csv", "results/classical/comparison_grid.png", "results/jets/validation.csv",
               "results/jets/benchmark.csv", "results/contrastive/lartpc/member_0/model.pt",
               "results/contrastive/lartpc/metrics.csv", "results/contrastive/digits/metrics.csv",
               "results/embeddings/tsne_benchmark.csv"]
PLACEMENT = re.compile(r"SLURM job (\d+) on partition (\S+), node \S+, CUDA_VISIBLE_DEVICES=(\S*)")


def test_every_rule_of_the_whole_dag_runs_as_a_slurm_job_and_the_report_builds(slurm_run):
    work = slurm_run.work
    assert slurm_run.returncode == 0, slurm_run.output[-8000:]
    planned = planned_jobs(subprocess.run(["snakemake", "-n", "-F", "--configfile", "tiny.yaml"], cwd=work,
                                          capture_output=True, text=True, check=True).stdout)

    # every final output exists and is up to date: a local dry run finds nothing left to do
    check = subprocess.run(["snakemake", "-n", "--configfile", "tiny.yaml"], cwd=work, capture_output=True,
                           text=True, check=True)
    assert "Nothing to be done" in check.stdout + check.stderr, check.stdout[-3000:]
    for out in KEY_OUTPUTS:
        assert (work / out).stat().st_size > 0, out

    # every job but the target rule `all` was submitted with sbatch; none ran on the submitting host
    submitted = re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", slurm_run.output)
    resubmitted = sorted({job for job, _ in submitted if sum(j == job for j, _ in submitted) > 1})
    # a resubmission means a job failed (e.g. SLURM's time limit) and the profile's retries hid it
    assert not resubmitted, f"jobs resubmitted after a failure: {resubmitted}; see .snakemake/slurm_logs"
    assert len({slurm_id for _, slurm_id in submitted}) == len(planned) - 1, (len(submitted), len(planned))
    assert re.findall(r"^localrule (\w+):", slurm_run.output, re.M) == ["all"]
    # and the scripts' own logs say where SLURM placed them
    logs = sorted((work / "logs").rglob("*.log"))
    assert len(logs) >= len(planned) - 1
    for log in logs:
        assert PLACEMENT.search(log.read_text()), f"{log.relative_to(work)} has no SLURM placement line"
    train = PLACEMENT.search((work / "logs/contrastive/lartpc/member_0/train.log").read_text())
    assert train.group(2) == "gpu" and train.group(3) != "", "training did not get a GPU on the gpu partition"
    sim = PLACEMENT.search((work / "logs/lartpc/simulate_train_0.log").read_text())
    assert sim.group(2) == "debug" and sim.group(3) == ""

    report = subprocess.run(["snakemake", "--report", "results/report.html", "--configfile", "tiny.yaml"],
                            cwd=work, capture_output=True, text=True, timeout=600)
    assert report.returncode == 0, report.stderr[-4000:]
    assert (work / "results/report.html").stat().st_size > 100_000
    print(f"SLURM whole-DAG run: {len(planned)} jobs of {len({r for r, _ in planned})} rules "
          f"in {slurm_run.seconds:.0f} s")


def test_the_stability_benchmark_runs_through_the_profile_with_every_member_a_gpu_job(slurm_run, tmp_path):
    """The README's benchmark command on a cluster (`snakemake --profile workflow/profiles/slurm
    results/contrastive/stability.csv`), in a copy of the whole-DAG run: every ensemble member of every seed is
    its own training job on the gpu partition with a GPU (contrastive_retrain_member), the scoring a CPU job."""
    assert slurm_run.returncode == 0, slurm_run.output[-3000:]
    work = copy_workflow(tmp_path)
    subprocess.run(["cp", "-a", str(slurm_run.work / "results"), str(slurm_run.work / ".snakemake"), str(work)],
                   check=True)
    edit_config(work / "tiny.yaml", lambda c: c["contrastive"].update(stability={"seeds": [1]},
                                                                      members={"lartpc": 2}))
    # the target before --configfile, which takes every word after it as a config file
    proc = subprocess.run(["snakemake", "--profile", "workflow/profiles/slurm", "results/contrastive/stability.csv",
                           "--configfile", "tiny.yaml"], cwd=work, capture_output=True, text=True, timeout=1500)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-8000:]
    assert re.findall(r"^localrule (\w+):", out, re.M) == []  # every job went through sbatch
    trained = re.findall(r"^rule contrastive_retrain_member:", out, re.M)
    assert len(trained) == 3, out[-3000:]  # LArTPC's 2 members and the digits' 1
    for s, m in (("lartpc", 0), ("lartpc", 1), ("digits", 0)):
        placed = PLACEMENT.search((work / f"logs/contrastive/retrained/{s}/none_seed_1/member_{m}/train.log")
                                  .read_text())
        assert placed.group(2) == "gpu" and placed.group(3) != "", (s, m, placed.groups())
    scored = PLACEMENT.search((work / "logs/contrastive/retrained/lartpc/none_seed_1.log").read_text())
    assert scored.group(2) == "debug" and scored.group(3) == ""
    per_seed = pd.read_csv(work / "results/contrastive/stability_per_seed.csv")
    assert per_seed.groupby("imageset")["members"].first().to_dict() == {"lartpc": 2, "digits": 1}
    assert (per_seed["training_sessions"] == 1).all()
