# Toy LArTPC pixel images with truth classes (one SLURM job per shard), and the digits benchmark images.
# Every event's random stream derives from (seed, split, global event index): the same events whatever
# lartpc.shard_size.  Training reads a split's manifest first, then streams its shards.
from hepclust.lartpc.study import shard_paths, split_params

LARTPC = config["lartpc"]


wildcard_constraints:
    split="train|test",
    shard=r"\d+",


for _split in ("train", "test"):
    shard_paths(
        LARTPC[f"n_{_split}"], LARTPC["shard_size"], _split
    )  # bad sizes fail at start, naming the key


rule lartpc_simulate:
    output:
        "results/lartpc/shards/{split}_{shard}.h5",
    log:
        "logs/lartpc/simulate_{split}_{shard}.log",
    benchmark:
        "benchmarks/lartpc/simulate_{split}_{shard}.tsv"
    # upstream of contrastive_train (priority 10), the longest chain: a rule's priority does not reach its inputs,
    # and without it the LArTPC training started 3 minutes into the default run, behind jet and classical jobs
    priority: 10
    conda:
        "../../envs/contrastive.yaml"
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        n_events=lambda w: LARTPC[f"n_{w.split}"],
        shard_size=LARTPC["shard_size"],
        seed=LARTPC["seed"],
        fractions=canonical(LARTPC["fractions"]),
        geometry=canonical(LARTPC["geometry"]),
        detector=canonical(LARTPC["detector"]),
    script:
        "../../scripts/lartpc_simulate.py"


rule lartpc_manifest:
    input:
        lambda w: shard_paths(LARTPC[f"n_{w.split}"], LARTPC["shard_size"], w.split),
    output:
        "results/lartpc/{split}_manifest.json",
    log:
        "logs/lartpc/manifest_{split}.log",
    priority: 10
    conda:
        "../../envs/contrastive.yaml"
    params:
        split=lambda w: canonical(
            split_params(
                w.split,
                LARTPC[f"n_{w.split}"],
                LARTPC["fractions"],
                LARTPC["geometry"],
                LARTPC["detector"],
                LARTPC["seed"],
            )
        ),
    script:
        "../../scripts/lartpc_manifest.py"


rule digits_images:
    output:
        shard="results/digits/shards/images_0.h5",
        manifest="results/digits/images_manifest.json",
    log:
        "logs/digits/images.log",
    priority: 10
    conda:
        "../../envs/contrastive.yaml"
    params:
        size=config["digits"]["size"],
        n_samples=config["digits"]["n_samples"],
    script:
        "../../scripts/digits_images.py"
