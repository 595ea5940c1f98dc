# The report's first page: the headline numbers of this run, read from the result files.


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
