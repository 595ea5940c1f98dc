"""Rule jets_benchmark: the one-thread timings plus events/s of ours on the rule's threads vs FastJet C++."""
from hepclust.io import read_csv, write_csv
from hepclust.jets.study import throughput_table
from hepclust.plotting.common import save_figure
from hepclust.plotting.jets import benchmark_plot
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    events = {process: paths for process, paths in snakemake.input.items() if process != "timing"}
    timing = read_csv(snakemake.input.timing, required=["source", "algorithm", "R", "ratio_cpp"])
    table = throughput_table(timing, events, p.algorithms, p.radii, p.repeats, snakemake.threads, p.build_dir)
    write_csv(snakemake.output.table, table)
    save_figure(benchmark_plot(table), snakemake.output.figure)
    log.info("\n%s", table.to_string())
