"""Rule contrastive_scan: SCAN heads on the frozen encoder, the one of lowest loss picked without labels."""
from hepclust.contrastive.study import run_scan
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    run_scan(snakemake.input[0], snakemake.output[0], snakemake.params.scan, snakemake.threads)
