# Helpers shared by the rule files.  Each domain's config checks (what JSON Schema cannot
# express) and its path helpers live in that domain's .smk.


wildcard_constraints:
    chunk=r"\d+",
    R=r"[0-9]+(\.[0-9]+)?",


def benchmark_threads():
    """Threads of a timing rule, from config so that the submitting Snakemake and the job-step
    Snakemake inside a SLURM job agree (a count derived from the machine differs between the two).
    Locally Snakemake caps it at --cores; the default (2) gives a 2-core laptop's timing rules the
    whole machine, so nothing runs beside a measurement."""
    return config["resources"]["benchmark_threads"]


def canonical(value):
    """Params with dict keys sorted: Snakemake compares params by their repr, so
    merely reordering keys in the YAML would otherwise rerun a rule."""
    if isinstance(value, dict):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


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
