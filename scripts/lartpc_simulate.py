"""Rule lartpc_simulate: one shard of toy LArTPC images of one split, with truth classes."""
from hepclust.lartpc.study import simulate_shard_to_file
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    p, w = snakemake.params, snakemake.wildcards
    simulate_shard_to_file(snakemake.output[0], w.split, int(w.shard), p.shard_size, p.n_events, p.fractions,
                           p.geometry, p.detector, p.seed)
