"""Rule jets_validate: every stored jet compared with FastJet's on the same events."""
from hepclust.io import write_csv
from hepclust.jets.study import summarise_validation, validation_table
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    jets = iter(snakemake.input.jets)  # all_jet_files() order: process, algorithm, R, chunk
    events = dict(zip([(pr, c) for pr in p.processes for c in p.chunks], snakemake.input.events))
    pairs = []
    for pr in p.processes:
        for _ in range(p.n_per_events):
            for c in p.chunks:
                pairs.append((pr, events[(pr, c)], next(jets)))
    table = validation_table(pairs, p.p)
    write_csv(snakemake.output.detail, table)
    summary = summarise_validation(table)
    write_csv(snakemake.output.summary, summary)
    log.info("\n%s", summary.to_string())
