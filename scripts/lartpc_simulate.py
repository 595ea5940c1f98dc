"""Rule lartpc_simulate: toy LArTPC images of one split with truth classes."""
from hepclust.lartpc.study import simulate_to_file
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    p = snakemake.params
    simulate_to_file(snakemake.output[0], p.n_events, p.fractions, p.geometry, p.detector, p.seed)
