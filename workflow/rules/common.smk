# Helpers shared by the rule files.  Each domain's config checks (what JSON Schema cannot
# express) and its path helpers live with that domain's rules.


# Priority of the long single-core jobs that are not on the trainings' chain (priority 10): scheduled first
# whenever a core frees, the short jobs (classical fits, plots: 2-5 s) then fill the end of the run, where a
# long job started last kept one core busy while the other idled (the t-SNE timing, 70 s, started 7 minutes
# into the default run and the core beside it idled 38 s).  Jobs whose inputs come late (the contrastive
# chain after a training) get it too, so they start as soon as the training ends.  A rule's priority does not
# reach its inputs, so the jet chain has it at every step.  Orders jobs only; no output changes.
LONG_JOB = 5


def benchmark_threads():
    """Threads of a timing rule, from config so that the submitting Snakemake and the job-step
    Snakemake inside a SLURM job agree (a count derived from the machine differs between the two).
    Locally Snakemake caps it at --cores; the default (2) gives a 2-core laptop's timing rules the
    whole machine, so nothing runs beside a measurement."""
    return config["resources"]["benchmark_threads"]


def timing_cores():
    """Cores held by a timing rule whose measurement is single-threaded (tsne_benchmark, jets_timing).
    Default 1, so that another job runs beside it: both sides of each ratio are timed interleaved and share
    that neighbour alike.  Set it to a node's core count for timings on a quiet node."""
    return config["resources"]["timing_cores"]


def canonical(value):
    """Params with dict keys sorted: Snakemake compares params by their repr, so
    merely reordering keys in the YAML would otherwise rerun a rule."""
    if isinstance(value, dict):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def summary_inputs(wildcards):
    """Named inputs of the report's summary: each part of the study under the name the summary
    script looks it up by (the domains' lists are defined by their rule files, read when called).
    """
    inputs = {f"classical/{d}": f"results/classical/{d}/metrics.csv" for d in DATASETS}
    inputs.update(
        {f"contrastive/{s}": f"results/contrastive/{s}/metrics.csv" for s in IMAGESETS}
    )
    inputs["jets/validation"] = "results/jets/validation.csv"
    inputs["jets/benchmark"] = "results/jets/benchmark.csv"
    inputs["tsne"] = "results/embeddings/tsne_benchmark.csv"
    return inputs
