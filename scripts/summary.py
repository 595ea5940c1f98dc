"""Rule summary: the headline results of this run, as a table and as the report's first page."""
from hepclust.io import write_csv
from hepclust.plotting.summary import headline_table, write_html
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    p, inp = snakemake.params, snakemake.input
    table = headline_table(classical={d: inp[f"classical/{d}"] for d in p.datasets},
                           jets={"validation": inp["jets/validation"], "benchmark": inp["jets/benchmark"]},
                           contrastive={s: inp[f"contrastive/{s}"] for s in p.imagesets},
                           tsne=inp["tsne"])
    write_csv(snakemake.output.table, table)
    write_html(snakemake.output.page, table, "hepclust: headline results of this run")
    log.info("\n%s", table.to_string())
