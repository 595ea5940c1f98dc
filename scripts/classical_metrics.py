"""Rule classical_metrics: scores of every method on one dataset, confusion matrices, ROC curves."""
from hepclust.classical.study import evaluate
from hepclust.io import write_csv
from hepclust.plotting.classical import confusion_grid, roc_grid
from hepclust.plotting.common import save_figure
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    out = snakemake.output
    ev = evaluate(snakemake.input.dataset, {m: snakemake.input[m] for m in snakemake.params.methods})
    write_csv(out.metrics, ev["metrics"])
    write_csv(out.per_class, ev["per_class"])
    save_figure(confusion_grid(ev["confusions"], ev["class_names"]), out.confusion)
    save_figure(roc_grid(ev["rocs"], ev["class_names"]), out.roc)
    log.info("\n%s", ev["metrics"].to_string())
