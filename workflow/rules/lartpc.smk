# Toy LArTPC pixel images with truth classes, and the digits benchmark images.


rule lartpc_simulate:
    output:
        "results/lartpc/{split}.h5",
    log:
        "logs/lartpc/simulate_{split}.log",
    benchmark:
        "benchmarks/lartpc/simulate_{split}.tsv"
    conda:
        "../../envs/contrastive.yaml"
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        n_events=lambda w: config["lartpc"][f"n_{w.split}"],
        seed=lambda w: config["lartpc"]["seed"] + (0 if w.split == "train" else 1),
        fractions=canonical(config["lartpc"]["fractions"]),
        geometry=canonical(config["lartpc"]["geometry"]),
        detector=canonical(config["lartpc"]["detector"]),
    script:
        "../../scripts/lartpc_simulate.py"


rule digits_images:
    output:
        "results/digits/images.h5",
    log:
        "logs/digits/images.log",
    conda:
        "../../envs/contrastive.yaml"
    params:
        size=config["digits"]["size"],
        n_samples=config["digits"]["n_samples"],
    script:
        "../../scripts/digits_images.py"
