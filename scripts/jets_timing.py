"""Rule jets_timing: ours vs FastJet (C++ core and awkward interface), one thread each, Pythia and synthetic events."""
from hepclust.io import write_csv
from hepclust.jets.study import timing_table
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    events = {process: paths for process, paths in snakemake.input.items() if process != "kernels"}
    table = timing_table(events, p.algorithms, p.radii, p.repeats, p.multiplicities, p.scaling_algorithm,
                         p.large_n_repeats, p.particles_per_point, p.seed, p.build_dir)
    write_csv(snakemake.output[0], table)
    log.info("\n%s", table.to_string())
