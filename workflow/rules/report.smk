# The report's first page: the headline numbers of this run, read from the result files.


def summary_inputs(wildcards):
    """Named inputs: each part of the study under the name the summary script looks it up by."""
    inputs = {f"classical/{d}": f"results/classical/{d}/metrics.csv" for d in DATASETS}
    inputs.update(
        {f"contrastive/{s}": f"results/contrastive/{s}/metrics.csv" for s in IMAGESETS}
    )
    inputs["jets/validation"] = "results/jets/validation.csv"
    inputs["jets/benchmark"] = "results/jets/benchmark.csv"
    inputs["tsne"] = "results/embeddings/tsne_benchmark.csv"
    return inputs


rule summary:
    input:
        unpack(summary_inputs),
    output:
        table="results/summary.csv",
        page=report(
            "results/summary.html",
            caption="../report/summary.rst",
            category="1 summary",
            labels={"page": "headline results"},
        ),
    log:
        "logs/summary.log",
    conda:
        "../../envs/classical.yaml"
    params:
        datasets=DATASETS,
        imagesets=IMAGESETS,
    script:
        "../../scripts/summary.py"
