"""Rule jets_kernels: compile our clustering kernels once, before the jobs that run them (numba caches them)."""
import json

from hepclust.io import atomic_output
from hepclust.jets.cluster import compile_kernels
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    signatures = compile_kernels()
    with atomic_output(snakemake.output[0]) as tmp:
        tmp.write_text(json.dumps(signatures, indent=1, sort_keys=True) + "\n")
    log.info("compiled (or loaded from numba's cache): %s", signatures)
