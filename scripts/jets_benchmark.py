"""Rule jets_benchmark: ours vs FastJet (C++ core and awkward interface), Pythia and synthetic events."""
from hepclust.io import write_csv
from hepclust.jets.study import benchmark_table
from hepclust.plotting.common import save_figure
from hepclust.plotting.jets import benchmark_plot
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    events = {process: paths for process, paths in snakemake.input.items() if process != "kernels"}
    table = benchmark_table(events, p.algorithms, p.radii, p.repeats, p.multiplicities,
                            p.scaling_algorithm, p.large_n_repeats, p.particles_per_point, p.seed,
                            snakemake.threads, p.build_dir)
    write_csv(snakemake.output.table, table)
    save_figure(benchmark_plot(table), snakemake.output.figure)
    log.info("\n%s", table.to_string())
