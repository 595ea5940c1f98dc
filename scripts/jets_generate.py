"""Rule jets_generate: one chunk of Pythia 8 events of one process."""
from hepclust.jets.study import generate_chunk
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    p, w = snakemake.params, snakemake.wildcards
    generate_chunk(snakemake.output[0], w.process, p.settings, p.n_events, p.seed, int(w.chunk), p.ecm, p.noise)
