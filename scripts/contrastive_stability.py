"""Rule contrastive_stability: per-seed scores of every image set, and their median / minimum / maximum."""
from hepclust.contrastive.study import stability_summary
from hepclust.io import write_csv
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    per_seed, summary = stability_summary(list(snakemake.input))
    write_csv(snakemake.output.per_seed, per_seed)
    write_csv(snakemake.output.summary, summary)
    log.info("\n%s", summary.to_string())
