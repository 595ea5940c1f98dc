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
    chunk=r"\d+",
    R=r"[0-9]+(\.[0-9]+)?",


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


# ---- jets ---------------------------------------------------------------------
JETS = config["jets"]
PROCESSES = JETS.get("run") or list(JETS["processes"])
CHUNKS = list(range(JETS["n_chunks"]))
ALGORITHMS = JETS["algorithms"]
RADII = JETS["radii"]


def check_jets_config():
    from hepclust.errors import ConfigError

    for p in PROCESSES:
        if p not in JETS["processes"]:
            raise ConfigError(
                "jets.run", f"process '{p}' is not defined under jets.processes"
            )

    for key in ("physics_plot", "display"):
        if JETS[key]["R"] not in RADII:
            raise ConfigError(
                f"jets.{key}.R", f"{JETS[key]['R']} is not one of jets.radii {RADII}"
            )
    if JETS["physics_plot"]["algorithm"] not in ALGORITHMS:
        raise ConfigError(
            "jets.physics_plot.algorithm", "must be one of jets.algorithms"
        )
    if JETS["display"]["process"] not in PROCESSES:
        raise ConfigError(
            "jets.display.process", f"must be one of jets.processes {PROCESSES}"
        )
    if JETS["display"]["event"] >= JETS["events_per_chunk"]:
        raise ConfigError(
            "jets.display.event", "must be smaller than jets.events_per_chunk"
        )


check_jets_config()


wildcard_constraints:
    process="|".join(PROCESSES),
    algorithm="|".join(ALGORITHMS),


def jets_file(process, algorithm, R, chunk):
    return f"results/jets/{process}/{algorithm}_R{R}_{chunk}.h5"


def all_jet_files():
    return [
        jets_file(p, a, r, c)
        for p in PROCESSES
        for a in ALGORITHMS
        for r in RADII
        for c in CHUNKS
    ]


def jets_targets():
    return [
        "results/jets/validation.csv",
        "results/jets/benchmark.csv",
        "results/jets/physics.png",
        "results/jets/event_display.png",
    ]
