# The classical study's config, its checks (what JSON Schema cannot express), wildcard constraints and
# input functions; included by classical.smk (rules and functions kept apart, as snakemake --lint asks).

DATASETS = config["classical"]["datasets"]
METHODS = config["classical"]["run"]

if workflow.is_main_process:
    # What the schema cannot check, once at start.  Not again in each SLURM job's own Snakemake:
    # the check imports scikit-learn, seconds per job.
    from hepclust.classical.study import check_config as check_classical_config

    check_classical_config(
        config["classical"]["methods"],
        METHODS,
        config["toy"]["components"],
        config["seed"],
    )


wildcard_constraints:
    dataset="|".join(DATASETS) or "NONE",
    method="|".join(METHODS),


def classical_targets():
    out = []
    if DATASETS:
        out.append("results/classical/comparison_grid.png")
    for d in DATASETS:
        out += [
            f"results/classical/{d}/metrics.csv",
            f"results/classical/{d}/k_selection.png",
            f"results/classical/{d}/importance.png",
        ]
    return out


def classical_result(dataset, method):
    return f"results/classical/{dataset}/{method}.h5"


def dataset_and_results(wildcards):
    """Named inputs of the per-dataset rules: the dataset file and one result per method (by name)."""
    d = wildcards.dataset
    return {
        "dataset": f"results/data/{d}.h5",
        **{m: classical_result(d, m) for m in METHODS},
    }


def grid_inputs(wildcards):
    """Named inputs of the comparison grid: each dataset by name, each result as "dataset/method"."""
    return {
        **{d: f"results/data/{d}.h5" for d in DATASETS},
        **{f"{d}/{m}": classical_result(d, m) for d in DATASETS for m in METHODS},
    }


def method_entry_params(wildcards):
    from hepclust.classical.registry import method_params

    entry = config["classical"]["methods"][wildcards.method]
    return canonical(method_params(entry, wildcards.dataset))
