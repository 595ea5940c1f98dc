"""Rule contrastive_streaming_benchmark: peak RSS and images/s of the streaming input at several set sizes."""
from pathlib import Path

import pandas as pd

from hepclust.contrastive.benchmark import run
from hepclust.io import write_csv
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    out = Path(snakemake.output[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = pd.DataFrame(run(snakemake.input[0], p.sizes, p.shard_size, p.batch_size, p.train_steps, p.workers,
                            snakemake.threads, out.parent))
    write_csv(out, rows)
    log.info("\n%s", rows.to_string())
