"""Rule jets_benchmark: time per event, ours vs FastJet, on Pythia and synthetic events."""
from hepclust.io import write_csv
from hepclust.jets.study import benchmark_table
from hepclust.plotting.common import save_figure
from hepclust.plotting.jets import benchmark_plot
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    paths = iter(snakemake.input)
    by_process = {pr: [next(paths) for _ in p.chunks] for pr in p.processes}
    table = benchmark_table(by_process, p.algorithms, p.R, p.repeats, p.multiplicities, p.seed)
    write_csv(snakemake.output.table, table)
    save_figure(benchmark_plot(table), snakemake.output.figure)
    log.info("\n%s", table.to_string())
