# Helpers shared by the rule files.  Each domain's config checks (what JSON Schema cannot
# express) and its path helpers live with that domain's rules.


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
