"""Rule lartpc_manifest: the split's manifest (shards, counts, class fractions, geometry)."""
from hepclust.lartpc.study import manifest_to_file
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    manifest_to_file(snakemake.output[0], list(snakemake.input), snakemake.params.split)
