"""Rule tsne_benchmark: openTSNE vs scikit-learn t-SNE, medians over repeats."""
from hepclust.embed import tsne_timing
from hepclust.io import write_csv
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    table = tsne_timing(p.sizes, p.dim, p.repeats, p.perplexity, p.seed)
    write_csv(snakemake.output.table, table)
    log.info("\n%s", table.to_string())
