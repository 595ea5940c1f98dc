# SimCLR + Contrastive Clustering: train (GPUs on a cluster), embed held-out images, score against truth.
# Image sets are data: contrastive.sources names each set's train/test manifests (config/README.md).
from hepclust.contrastive.ensemble import member_params
from hepclust.contrastive.rules import (
    ablation_inputs,
    contrastive_targets,
    members,
    retrain_params,
    scan_params,
    train_resources,
)

CONTRASTIVE = config["contrastive"]
IMAGESETS = CONTRASTIVE["imagesets"]
SOURCES = CONTRASTIVE["sources"]
DISTRIBUTED = CONTRASTIVE["distributed"]
# How the images are read, not what is computed: resources, not params, so that an edit (say, more loader
# workers on a GPU node) does not rerun finished trainings, as a params edit would.
LOADER = {
    "loader_workers": CONTRASTIVE["loader_workers"],
    "loader_cache_mb": CONTRASTIVE["loader_cache_mb"],
}


# What the schema cannot check fails at start, naming the key; not again in each SLURM job's own
# Snakemake (the check imports torch: seconds per job).
if workflow.is_main_process:
    from hepclust.contrastive.study import check_config

    check_config(CONTRASTIVE)


wildcard_constraints:
    imageset="|".join(IMAGESETS) or "NONE",
    member=r"\d+",


# One training per ensemble member (contrastive.members; 1 by default), each with its own seed
# (hepclust.contrastive.ensemble.member_seed): independent jobs, in parallel where there are GPUs for them.
rule contrastive_train:
    input:
        lambda w: SOURCES[w.imageset]["train"],
    output:
        model="results/contrastive/{imageset}/member_{member}/model.pt",
        history="results/contrastive/{imageset}/member_{member}/history.csv",
    log:
        "logs/contrastive/{imageset}/member_{member}/train.log",
    benchmark:
        "benchmarks/contrastive/{imageset}/member_{member}/train.tsv"
    # the longest chain of the workflow: start it as soon as its images exist
    priority: 10
    retries: 3
    conda:
        "../../envs/contrastive.yaml"
    threads: DISTRIBUTED["cpus_per_rank"]
    resources:
        **train_resources(DISTRIBUTED),
        **LOADER,
    params:
        train=lambda w: canonical(
            member_params(CONTRASTIVE["train"][w.imageset], int(w.member))
        ),
        device=CONTRASTIVE["device"],
        distributed=canonical(DISTRIBUTED),
        # not an output: Snakemake would delete it when the job fails, and it is what a restart resumes from
        checkpoint=lambda w: f"results/contrastive/{w.imageset}/member_{w.member}/checkpoint.pt",
    script:
        "../../scripts/contrastive_train.py"


rule contrastive_embed:
    input:
        models=lambda w: expand(
            rules.contrastive_train.output.model,
            imageset=w.imageset,
            member=range(members(CONTRASTIVE, w.imageset)),
        ),
        train_images=lambda w: SOURCES[w.imageset]["train"],
        images=lambda w: SOURCES[w.imageset]["test"],
    output:
        "results/contrastive/{imageset}/embedding.h5",
    log:
        "logs/contrastive/{imageset}/embed.log",
    priority: LONG_JOB
    conda:
        "../../envs/contrastive.yaml"
    # one thread: a two-thread job waits until both cores are free at once, which in the default run came only
    # after every one-thread job (the LArTPC embedding started 190 s after its training ended); on one thread it
    # starts at once.  The LArTPC features are bit for bit those of two threads; the digits' differ in the last bits
    threads: 1
    resources:
        **LOADER,
    params:
        device=CONTRASTIVE["device"],
        views=CONTRASTIVE["scan"]["views"],
        seed=config["seed"],
    script:
        "../../scripts/contrastive_embed.py"


rule contrastive_scan:
    """Second stage: SCAN heads on the frozen encoder's features; the label-free pick (seconds on a CPU)."""
    input:
        "results/contrastive/{imageset}/embedding.h5",
    output:
        "results/contrastive/{imageset}/scan.h5",
    log:
        "logs/contrastive/{imageset}/scan.log",
    priority: LONG_JOB
    conda:
        "../../envs/contrastive.yaml"
    threads: 1
    params:
        scan=lambda w: canonical(scan_params(CONTRASTIVE, w.imageset, config["seed"])),
    script:
        "../../scripts/contrastive_scan.py"


rule contrastive_supervised:
    """The ceiling that uses labels: the same encoder trained supervised on the same training images."""
    input:
        train_images=lambda w: SOURCES[w.imageset]["train"],
        images=lambda w: SOURCES[w.imageset]["test"],
    output:
        "results/contrastive/{imageset}/supervised.h5",
    log:
        "logs/contrastive/{imageset}/supervised.log",
    benchmark:
        "benchmarks/contrastive/{imageset}/supervised.tsv"
    priority: LONG_JOB
    conda:
        "../../envs/contrastive.yaml"
    threads: DISTRIBUTED["cpus_per_rank"]
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=120,
    params:
        train=lambda w: canonical(CONTRASTIVE["train"][w.imageset]),
        reference=canonical(CONTRASTIVE["reference"]),
        device=CONTRASTIVE["device"],
        seed=config["seed"],
    script:
        "../../scripts/contrastive_supervised.py"


# The pixel baselines depend on the held-out images, contrastive.baseline, the set's n_clusters and the seed: a
# training or SCAN edit (other than n_clusters) does not recompute them.
rule contrastive_baselines:
    input:
        lambda w: SOURCES[w.imageset]["test"],
    output:
        "results/contrastive/{imageset}/baselines.h5",
    log:
        "logs/contrastive/{imageset}/baselines.log",
    benchmark:
        "benchmarks/contrastive/{imageset}/baselines.tsv"
    priority: LONG_JOB
    conda:
        "../../envs/contrastive.yaml"
    threads: 1
    params:
        baseline=canonical(CONTRASTIVE["baseline"]),
        n_clusters=lambda w: CONTRASTIVE["train"][w.imageset]["n_clusters"],
        seed=config["seed"],
        extra_baselines=lambda w: SOURCES[w.imageset]["extra_baselines"],
    script:
        "../../scripts/contrastive_baselines.py"


rule contrastive_evaluate:
    input:
        embedding="results/contrastive/{imageset}/embedding.h5",
        scan="results/contrastive/{imageset}/scan.h5",
        supervised="results/contrastive/{imageset}/supervised.h5",
        baselines="results/contrastive/{imageset}/baselines.h5",
        images=lambda w: SOURCES[w.imageset]["test"],
    output:
        metrics=report(
            "results/contrastive/{imageset}/metrics.csv",
            caption="../report/contrastive_metrics.rst",
            category="4 contrastive",
            subcategory="{imageset}",
            labels={"imageset": "{imageset}", "table": "clustering vs truth"},
        ),
        per_cluster=report(
            "results/contrastive/{imageset}/per_cluster.csv",
            caption="../report/contrastive_per_cluster.rst",
            category="4 contrastive",
            subcategory="{imageset}",
            labels={"imageset": "{imageset}", "table": "per-cluster purity"},
        ),
        heads=report(
            "results/contrastive/{imageset}/heads.csv",
            caption="../report/contrastive_heads.rst",
            category="4 contrastive",
            subcategory="{imageset}",
            labels={"imageset": "{imageset}", "table": "label-free head choice"},
        ),
        contingency=report(
            "results/contrastive/{imageset}/contingency.png",
            caption="../report/contrastive_contingency.rst",
            category="4 contrastive",
            subcategory="{imageset}",
            labels={"imageset": "{imageset}", "figure": "contingency"},
        ),
        gallery=report(
            "results/contrastive/{imageset}/gallery.png",
            caption="../report/contrastive_gallery.rst",
            category="4 contrastive",
            subcategory="{imageset}",
            labels={"imageset": "{imageset}", "figure": "gallery"},
        ),
    log:
        "logs/contrastive/{imageset}/evaluate.log",
    benchmark:
        "benchmarks/contrastive/{imageset}/evaluate.tsv"
    conda:
        "../../envs/contrastive.yaml"
    threads: 1
    params:
        seed=config["seed"],
        per_cluster=CONTRASTIVE["gallery_per_cluster"],
        folds=CONTRASTIVE["reference"]["folds"],
    script:
        "../../scripts/contrastive_evaluate.py"


rule contrastive_embedding_plot:
    input:
        embedding="results/contrastive/{imageset}/embedding.h5",
        scan="results/contrastive/{imageset}/scan.h5",
    output:
        report(
            "results/contrastive/{imageset}/embedding.png",
            caption="../report/contrastive_embedding.rst",
            category="5 embeddings",
            labels={"imageset": "{imageset}", "figure": "t-SNE and UMAP"},
        ),
    log:
        "logs/contrastive/{imageset}/embedding_plot.log",
    conda:
        "../../envs/contrastive.yaml"
    params:
        **CONTRASTIVE["embedding"],
        seed=config["seed"],
    script:
        "../../scripts/contrastive_embedding_plot.py"


rule contrastive_training_plot:
    input:
        histories=lambda w: expand(
            rules.contrastive_train.output.history,
            imageset=w.imageset,
            member=range(members(CONTRASTIVE, w.imageset)),
        ),
    output:
        report(
            "results/contrastive/{imageset}/training.png",
            caption="../report/contrastive_training.rst",
            category="4 contrastive",
            subcategory="{imageset}",
            labels={"imageset": "{imageset}", "figure": "training curves"},
        ),
    log:
        "logs/contrastive/{imageset}/training_plot.log",
    conda:
        "../../envs/contrastive.yaml"
    script:
        "../../scripts/contrastive_training_plot.py"


rule contrastive_streaming_benchmark:
    """Not part of `all` (minutes): snakemake --cores 2 results/contrastive/streaming_benchmark.csv"""
    input:
        SOURCES["lartpc"]["train"],
    output:
        "results/contrastive/streaming_benchmark.csv",
    log:
        "logs/contrastive/streaming_benchmark.log",
    conda:
        "../../envs/contrastive.yaml"
    threads: 2
    params:
        **CONTRASTIVE["streaming_benchmark"],
    script:
        "../../scripts/contrastive_streaming_benchmark.py"


# One training of a retrained run (a seed of the stability benchmark, a variant of the augmentation ablation):
# contrastive_train itself (its script, ranks, GPU resources, retries, checkpoint resume), for other params
# and paths. A job per ensemble member, like the default training's.
use rule contrastive_train as contrastive_retrain_member with:
    output:
        model="results/contrastive/retrained/{imageset}/{variant,[a-z_]+}_seed_{seed,\d+}/member_{member}/model.pt",
        history="results/contrastive/retrained/{imageset}/{variant,[a-z_]+}_seed_{seed,\d+}/member_{member}/history.csv",
    log:
        "logs/contrastive/retrained/{imageset}/{variant}_seed_{seed}/member_{member}/train.log",
    benchmark:
        "benchmarks/contrastive/retrained/{imageset}/{variant}_seed_{seed}/member_{member}/train.tsv"
    params:
        train=lambda w: canonical(
            retrain_params(
                CONTRASTIVE["train"][w.imageset], w.variant, int(w.seed), int(w.member)
            )
        ),
        checkpoint=lambda w: f"results/contrastive/retrained/{w.imageset}/{w.variant}_seed_{w.seed}/member_{w.member}/checkpoint.pt",


rule contrastive_retrain:
    """A retrained run scored: its members (contrastive_retrain_member) embedded, SCAN, the clusterer, the
    ceilings and (variant `none`) the baselines. Shared by the stability benchmark and the augmentation
    ablation."""
    input:
        models=lambda w: expand(
            rules.contrastive_retrain_member.output.model,
            member=range(members(CONTRASTIVE, w.imageset)),
            allow_missing=True,
        ),
        histories=lambda w: expand(
            rules.contrastive_retrain_member.output.history,
            member=range(members(CONTRASTIVE, w.imageset)),
            allow_missing=True,
        ),
        train_images=lambda w: SOURCES[w.imageset]["train"],
        images=lambda w: SOURCES[w.imageset]["test"],
    output:
        "results/contrastive/retrained/{imageset}/{variant}_seed_{seed}.csv",
    log:
        "logs/contrastive/retrained/{imageset}/{variant}_seed_{seed}.log",
    benchmark:
        "benchmarks/contrastive/retrained/{imageset}/{variant}_seed_{seed}.tsv"
    wildcard_constraints:
        variant="[a-z_]+",
        seed=r"\d+",
    conda:
        "../../envs/contrastive.yaml"
    threads: 2
    resources:
        **LOADER,
        mem_mb=16000,
        runtime=60,
    params:
        scan=lambda w: canonical(scan_params(CONTRASTIVE, w.imageset)),
        baseline=canonical(CONTRASTIVE["baseline"]),
        device=CONTRASTIVE["device"],
        extra_baselines=lambda w: SOURCES[w.imageset]["extra_baselines"],
        folds=CONTRASTIVE["reference"]["folds"],
    script:
        "../../scripts/contrastive_retrain.py"


rule contrastive_stability:
    """Not part of `all` (each seed is a full training): snakemake --cores all results/contrastive/stability.csv"""
    input:
        expand(
            "results/contrastive/retrained/{imageset}/none_seed_{seed}.csv",
            imageset=IMAGESETS,
            seed=CONTRASTIVE["stability"]["seeds"],
        ),
    output:
        summary=report(
            "results/contrastive/stability.csv",
            caption="../report/contrastive_stability.rst",
            category="4 contrastive",
            labels={"table": "stability over seeds"},
        ),
        per_seed="results/contrastive/stability_per_seed.csv",
    log:
        "logs/contrastive/stability.log",
    conda:
        "../../envs/contrastive.yaml"
    script:
        "../../scripts/contrastive_stability.py"


rule contrastive_ablation:
    """Not part of `all` (a training per seed and variant): snakemake --cores all results/contrastive/ablation.csv"""
    input:
        ablation_inputs(CONTRASTIVE),
    output:
        summary=report(
            "results/contrastive/ablation.csv",
            caption="../report/contrastive_ablation.rst",
            category="4 contrastive",
            labels={"table": "augmentation ablation"},
        ),
        per_seed="results/contrastive/ablation_per_seed.csv",
    log:
        "logs/contrastive/ablation.log",
    conda:
        "../../envs/contrastive.yaml"
    script:
        "../../scripts/contrastive_ablation.py"
