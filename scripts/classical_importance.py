"""Rule classical_importance: permutation feature importance table and bar plot."""
from hepclust.classical.study import importance_table
from hepclust.io import write_csv
from hepclust.plotting.classical import importance_bars
from hepclust.plotting.common import save_figure
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    table = importance_table(snakemake.input.dataset, {m: snakemake.input[m] for m in snakemake.params.methods})
    write_csv(snakemake.output.table, table)
    save_figure(importance_bars(table, snakemake.wildcards.dataset), snakemake.output.figure)
