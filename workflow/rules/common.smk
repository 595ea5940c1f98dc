# Helpers shared by the rule files, and config checks that JSON Schema cannot
# express (covariances, estimator params): they fail at start, naming the key.
from hepclust.classical import method_params, validate_methods_config
from hepclust.datasets.toy import check_components

check_components(config["toy"]["components"], "toy.components")
validate_methods_config(
    config["classical"]["methods"], config["classical"]["run"], config["seed"]
)

DATASETS = config["classical"]["datasets"]
METHODS = config["classical"]["run"]


wildcard_constraints:
    dataset="|".join(DATASETS) or "NONE",
    method="|".join(METHODS),


def all_local_cores():
    """Threads for timing rules: every local core, so nothing runs beside the measurement.
    On a cluster (no --cores) each job has its own allocation: 1."""
    try:
        return workflow.cores
    except Exception:
        return 1


def canonical(value):
    """Params with dict keys sorted: Snakemake compares params by their repr, so
    merely reordering keys in the YAML would otherwise rerun a rule."""
    if isinstance(value, dict):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


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


def method_result_paths(wildcards):
    """Result files of every method on one dataset, in the order of classical.run."""
    return [f"results/classical/{wildcards.dataset}/{m}.h5" for m in METHODS]


def method_entry_params(wildcards):
    entry = config["classical"]["methods"][wildcards.method]
    return canonical(method_params(entry, wildcards.dataset))


# ---- LArTPC and contrastive clustering ------------------------------------------
IMAGESETS = config["contrastive"]["imagesets"]


wildcard_constraints:
    imageset="|".join(IMAGESETS) or "NONE",
    split="train|test",


def train_images(wildcards):
    if wildcards.imageset == "lartpc":
        return "results/lartpc/train.h5"
    return "results/digits/images.h5"


def test_images(wildcards):
    if wildcards.imageset == "lartpc":
        return "results/lartpc/test.h5"
    return "results/digits/images.h5"


def contrastive_targets():
    return [
        f"results/contrastive/{s}/{f}"
        for s in IMAGESETS
        for f in ("metrics.csv", "embedding.png", "gallery.png", "training.png")
    ]
