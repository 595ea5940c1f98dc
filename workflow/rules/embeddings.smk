# t-SNE / UMAP where the study has more than two dimensions, and the t-SNE implementations timed.


rule penguins_embedding:
    output:
        report(
            "results/embeddings/penguins_all_features.png",
            caption="../report/penguins_embedding.rst",
            category="5 embeddings",
            labels={"figure": "penguins, four features"},
        ),
    log:
        "logs/embeddings/penguins.log",
    conda:
        "../../envs/classical.yaml"
    params:
        clusterer=canonical(config["embeddings"]["penguins"]["clusterer"]),
        perplexity=config["embeddings"]["penguins"]["perplexity"],
        umap_neighbors=config["embeddings"]["penguins"]["umap_neighbors"],
        seed=config["seed"],
    script:
        "../../scripts/penguins_embedding.py"


rule tsne_benchmark:
    output:
        table=report(
            "results/embeddings/tsne_benchmark.csv",
            caption="../report/tsne_benchmark.rst",
            category="6 performance",
            labels={"table": "t-SNE timing"},
        ),
    log:
        "logs/embeddings/tsne_benchmark.log",
    benchmark:
        "benchmarks/embeddings/tsne_benchmark.tsv"
    priority: LONG_JOB
    conda:
        "../../envs/classical.yaml"
    # both implementations run single-threaded and interleaved: the rule may share the machine
    threads: timing_cores()
    params:
        **config["embeddings"]["tsne_benchmark"],
        seed=config["seed"],
    script:
        "../../scripts/tsne_benchmark.py"
