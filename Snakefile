# hepclust: clustering in particle physics.
# `snakemake --cores all` runs the whole study on config/config.yaml;
# `snakemake --report results/report.html` collects every figure and table.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/classical.smk"
include: "workflow/rules/jets.smk"
include: "workflow/rules/lartpc.smk"
include: "workflow/rules/contrastive.smk"
include: "workflow/rules/embeddings.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        "results/summary.html",
        classical_targets(),
        jets_targets(),
        contrastive_targets(IMAGESETS),
        "results/embeddings/penguins_all_features.png",
        "results/embeddings/tsne_benchmark.csv",
