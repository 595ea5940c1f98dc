# t-SNE / UMAP where the study has more than two dimensions, and the t-SNE implementations timed.


rule penguins_embedding:
    output:
        report(
            "results/embeddings/penguins_all_features.png",
            caption="../report/penguins_embedding.rst",
            category="embeddings",
            labels={"figure": "penguins, four features"},
        ),
    log:
        "logs/embeddings/penguins.log",
    conda:
        "../../envs/classical.yaml"
    params:
        **config["contrastive"]["embedding"],
        seed=config["seed"],
    script:
        "../../scripts/penguins_embedding.py"


rule tsne_benchmark:
    output:
        table=report(
            "results/embeddings/tsne_benchmark.csv",
            caption="../report/tsne_benchmark.rst",
            category="performance",
            labels={"table": "t-SNE timing"},
        ),
    log:
        "logs/embeddings/tsne_benchmark.log",
    benchmark:
        "benchmarks/embeddings/tsne_benchmark.tsv"
    conda:
        "../../envs/classical.yaml"
    # all cores: nothing else may run beside the timing (both implementations run single-threaded)
    threads: all_local_cores()
    params:
        **config["embeddings"]["tsne_benchmark"],
        seed=config["seed"],
    script:
        "../../scripts/tsne_benchmark.py"
