"""Rule contrastive_ablation: every variant's scores, and their medians over seeds with the change in ACC."""
import pandas as pd

from hepclust.contrastive.ablation import summarise
from hepclust.io import write_csv
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    rows = pd.concat([pd.read_csv(p) for p in snakemake.input], ignore_index=True)
    summary = summarise(rows)
    write_csv(snakemake.output.per_seed, rows)
    write_csv(snakemake.output.summary, summary)
    log.info("\n%s", summary.to_string())
