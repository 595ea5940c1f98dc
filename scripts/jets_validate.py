"""Rule jets_validate: every stored jet compared with FastJet's on the same events."""
from hepclust.io import write_csv
from hepclust.jets.study import summarise_validation, validation_table
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    table = validation_table(dict(snakemake.input.items()))  # process -> its jets files
    write_csv(snakemake.output.detail, table)
    summary = summarise_validation(table)
    write_csv(snakemake.output.summary, summary)
    log.info("\n%s", summary.to_string())
