# Classical clustering: every method on every dataset, scored against the hidden truth.


include: "classical_common.smk"


rule classical_fit:
    input:
        "results/data/{dataset}.h5",
    output:
        "results/classical/{dataset}/{method}.h5",
    log:
        "logs/classical/{dataset}/{method}.log",
    benchmark:
        "benchmarks/classical/{dataset}/{method}.tsv"
    conda:
        "../../envs/classical.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        estimator=lambda w: config["classical"]["methods"][w.method]["estimator"],
        params=method_entry_params,
        seed=config["seed"],
        n_repeats=config["classical"]["importance"]["n_repeats"],
        n_grid=config["classical"]["decision_grid"],
    script:
        "../../scripts/classical_fit.py"


rule classical_metrics:
    input:
        unpack(dataset_and_results),
    output:
        metrics=report(
            "results/classical/{dataset}/metrics.csv",
            caption="../report/classical_metrics.rst",
            category="2 classical",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "table": "metrics"},
        ),
        per_class=report(
            "results/classical/{dataset}/per_class.csv",
            caption="../report/classical_per_class.rst",
            category="2 classical",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "table": "per-class scores"},
        ),
        confusion=report(
            "results/classical/{dataset}/confusion.png",
            caption="../report/classical_confusion.rst",
            category="2 classical",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "figure": "confusion matrices"},
        ),
        roc=report(
            "results/classical/{dataset}/roc.png",
            caption="../report/classical_roc.rst",
            category="2 classical",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "figure": "ROC curves"},
        ),
    log:
        "logs/classical/{dataset}/metrics.log",
    conda:
        "../../envs/classical.yaml"
    params:
        methods=METHODS,
    script:
        "../../scripts/classical_metrics.py"


rule classical_importance:
    input:
        unpack(dataset_and_results),
    output:
        table=report(
            "results/classical/{dataset}/importance.csv",
            caption="../report/classical_importance.rst",
            category="2 classical",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "table": "feature importance"},
        ),
        figure=report(
            "results/classical/{dataset}/importance.png",
            caption="../report/classical_importance.rst",
            category="2 classical",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "figure": "feature importance"},
        ),
    log:
        "logs/classical/{dataset}/importance.log",
    conda:
        "../../envs/classical.yaml"
    params:
        methods=METHODS,
    script:
        "../../scripts/classical_importance.py"


rule classical_k_selection:
    input:
        "results/data/{dataset}.h5",
    output:
        scan=report(
            "results/classical/{dataset}/k_selection.csv",
            caption="../report/classical_k_selection.rst",
            category="2 classical",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "table": "k scan"},
        ),
        choice="results/classical/{dataset}/k_choice.csv",
        figure=report(
            "results/classical/{dataset}/k_selection.png",
            caption="../report/classical_k_selection.rst",
            category="2 classical",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "figure": "choosing k"},
        ),
    log:
        "logs/classical/{dataset}/k_selection.log",
    benchmark:
        "benchmarks/classical/{dataset}/k_selection.tsv"
    conda:
        "../../envs/classical.yaml"
    params:
        **config["classical"]["k_selection"],
        seed=config["seed"],
    script:
        "../../scripts/classical_k_selection.py"


rule classical_grid:
    input:
        unpack(grid_inputs),
    output:
        report(
            "results/classical/comparison_grid.png",
            caption="../report/classical_grid.rst",
            category="2 classical",
            labels={"figure": "comparison grid"},
        ),
    log:
        "logs/classical/comparison_grid.log",
    conda:
        "../../envs/classical.yaml"
    params:
        datasets=DATASETS,
        methods=METHODS,
    script:
        "../../scripts/classical_grid.py"
