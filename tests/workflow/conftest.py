"""Run the real workflow in a temporary copy of the repository."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TINY = Path(__file__).with_name("config_tiny.yaml")
COPIED = ("Snakefile", "workflow", "scripts", "config", "envs")


def copy_workflow(dest: Path) -> Path:
    for name in COPIED:
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / name)
    shutil.copy2(TINY, dest / "tiny.yaml")
    return dest


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    # targets and options first: --configfile takes every value that follows it
    proc = subprocess.run(["snakemake", "--cores", "2", *args, "--configfile", "tiny.yaml"], cwd=workdir,
                          capture_output=True, text=True, timeout=1200)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    return proc


def planned_jobs(dry_run_output: str) -> set[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run plans, e.g. ('classical_fit', 'dataset=toy, method=kmeans')."""
    jobs = set()
    for block in re.split(r"\n(?=rule |localrule )", dry_run_output):
        m = re.match(r"(?:local)?rule (\w+):", block)
        if m:
            wc = re.search(r"^\s+wildcards: (.*)$", block, re.M)
            jobs.add((m.group(1), wc.group(1) if wc else ""))
    return jobs


def rerun_plan(finished_run: Path, tmp_path: Path, change) -> set[tuple[str, str]]:
    """The jobs a dry run plans in a copy of the finished run after ``change`` (a function of the config)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    work = copy_workflow(tmp_path)
    subprocess.run(["cp", "-a", str(finished_run / "results"), str(finished_run / ".snakemake"), str(work)],
                   check=True)
    edit_config(work / "tiny.yaml", change)
    return planned_jobs(snakemake(work, "-n").stdout)


def edit_config(path: Path, fn) -> None:
    cfg = yaml.safe_load(path.read_text())
    fn(cfg)
    path.write_text(yaml.safe_dump(cfg))


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory) -> Path:
    """The tiny config run once to completion; tests that only read it share it."""
    work = copy_workflow(tmp_path_factory.mktemp("wf"))
    snakemake(work)
    return work


@pytest.fixture(scope="session")
def second_run(request, tmp_path_factory) -> Path:
    """The tiny config run once more, in a fresh copy: through the SLURM profile where a SLURM test cluster
    can be started (then comparing it with ``finished_run`` also proves that a cluster run gives the same
    results as a local one), else locally."""
    from tests.slurm import cluster

    if cluster.unavailable_reason() is None:
        run = request.getfixturevalue("slurm_run")
        assert run.returncode == 0, run.output[-6000:]
        return run.work
    work = copy_workflow(tmp_path_factory.mktemp("wf_again"))
    snakemake(work)
    return work
