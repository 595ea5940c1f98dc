# The jets config, its cross-key checks (what JSON Schema cannot express), wildcard constraints and
# input functions; included by jets.smk (rules and functions kept in separate files, as snakemake --lint asks).
from hepclust.errors import ConfigError

JETS = config["jets"]
PROCESSES = JETS.get("run", list(JETS["processes"]))
CHUNKS = list(range(JETS["n_chunks"]))
ALGORITHMS = JETS["algorithms"]
RADII = JETS["radii"]
# (algorithm, R, p) of every jets file of a chunk; p only for the generalised kT
JET_DEFINITIONS = [
    [a, r, JETS["genkt_p"] if a == "genkt" else None] for a in ALGORITHMS for r in RADII
]


def check_jets_config():
    """Keys that must name other keys' values; ranges, enums and defaults are the schema's."""
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
            "jets.display.process", f"must be one of jets.run {PROCESSES}"
        )
    if JETS["display"]["event"] >= JETS["events_per_chunk"]:
        raise ConfigError(
            "jets.display.event", "must be smaller than jets.events_per_chunk"
        )


check_jets_config()


wildcard_constraints:
    process="|".join(PROCESSES),
    algorithm="|".join(ALGORITHMS),
    chunk=r"\d+",
    R=r"[0-9]+(\.[0-9]+)?",


def events_file(process, chunk):
    return f"results/jets/events/{process}_{chunk}.h5"


def jets_file(process, algorithm, R, chunk):
    return f"results/jets/{process}/{algorithm}_R{R}_{chunk}.h5"


def events_by_process(wildcards):
    """{process: its event files}: what jets_benchmark times, per process."""
    return {p: [events_file(p, c) for c in CHUNKS] for p in PROCESSES}


def jets_by_process(wildcards):
    """{process: every jets file made from its events}: validation reads each file's
    events and jet definition from its provenance."""
    return {
        p: [jets_file(p, a, r, c) for a in ALGORITHMS for r in RADII for c in CHUNKS]
        for p in PROCESSES
    }


def physics_jets(wildcards):
    """{process: jets files of the algorithm and R shown in the physics plot}."""
    plot = JETS["physics_plot"]
    return {
        p: [jets_file(p, plot["algorithm"], plot["R"], c) for c in CHUNKS]
        for p in PROCESSES
    }


def display_inputs(wildcards):
    """{'events': the displayed chunk, algorithm: its jets file} for the event display."""
    d = JETS["display"]
    return {
        "events": events_file(d["process"], 0),
        **{a: jets_file(d["process"], a, d["R"], 0) for a in ALGORITHMS},
    }


def jets_targets():
    return [
        "results/jets/validation.csv",
        "results/jets/benchmark.csv",
        "results/jets/physics.png",
        "results/jets/event_display.png",
    ]
