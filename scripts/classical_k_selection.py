"""Rule classical_k_selection: elbow, BIC/AIC, silhouette and gap statistic over k."""
import pandas as pd

from hepclust.classical.study import k_selection
from hepclust.io import write_csv
from hepclust.plotting.classical import k_selection as k_selection_figure
from hepclust.plotting.common import save_figure
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    scan, chosen = k_selection(snakemake.input[0], p.k_min, p.k_max, p.gap_references, p.seed)
    write_csv(snakemake.output.scan, scan)
    write_csv(snakemake.output.choice, pd.DataFrame({"criterion": list(chosen), "k": list(chosen.values())}))
    save_figure(k_selection_figure(scan, chosen, snakemake.wildcards.dataset), snakemake.output.figure)
    log.info("chosen k: %s", chosen)
