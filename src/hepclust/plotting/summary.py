"""The report's first page: the headline numbers of this run, read from the result files.

A physicist who opens the report should see the answer before the prose: which
classical method won on each dataset, whether our jets equal FastJet's and how
fast they are, how the contrastive clusterer compares with its baselines, and
what t-SNE costs.  Every number is read from a result file of this run (never
typed in), and every row names the report item that holds the details.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from hepclust.io import atomic_output, read_csv

# ``timing``: the value is a wall-clock measurement, so it differs between two runs of the same config
COLUMNS = ["section", "subject", "result", "value", "compared_with", "details", "timing"]

# the clusterer's row in results/contrastive/{imageset}/metrics.csv (rows with uses_labels are ceilings)
CLUSTERER = "contrastive clustering"


def _row(section: str, subject: str, result: str, value: float | str, compared_with: str, details: str,
         timing: bool = False) -> dict:
    return dict(zip(COLUMNS, (section, subject, result, value, compared_with, details, timing)))


def classical_rows(metrics: Mapping[str, pd.DataFrame]) -> list[dict]:
    """Best method per dataset by ARI (ties: the earlier method in classical.run), with its ACC."""
    rows = []
    for dataset, table in metrics.items():
        ranked = table.sort_values("ari", ascending=False, kind="stable")
        best, runner_up = ranked.iloc[0], ranked.iloc[1] if len(ranked) > 1 else None
        other = "" if runner_up is None else f"next: {runner_up['method']} (ARI {runner_up['ari']:.3f})"
        rows.append(_row("classical", dataset, f"best method: {best['method']} (ARI)", round(best["ari"], 3),
                         other, f"classical / {dataset} / metrics.csv"))
        rows.append(_row("classical", dataset, f"best method: {best['method']} (Hungarian ACC)",
                         round(best["hungarian_accuracy"], 3), "", f"classical / {dataset} / metrics.csv"))
    return rows


def jets_rows(validation: pd.DataFrame, benchmark: pd.DataFrame) -> list[dict]:
    """Events compared with FastJet and how many differ; our time over FastJet's on the Pythia events."""
    n_events, n_differ = int(validation["n_events"].sum()), int(validation["n_events_differ"].sum())
    settings = len(validation)
    rows = [_row("jets", "ours vs FastJet", "events compared (all algorithms and radii)", n_events,
                 f"{settings} algorithm/R settings", "jets / validation.csv"),
            _row("jets", "ours vs FastJet", "events whose jets differ", n_differ, "0 expected",
                 "jets / validation.csv")]
    ratio, reference = _speed_ratio_column(benchmark)
    pythia = benchmark[benchmark["source"] != "synthetic"]
    for (algorithm, r), group in pythia.groupby(["algorithm", "R"], sort=False):
        rows.append(_row("jets", f"{algorithm} R={r:g}", f"time ours / {reference} (median over processes)",
                         round(float(group[ratio].median()), 3),
                         f"{group['multiplicity'].mean():.0f} particles per event, < 1 is faster",
                         "performance / benchmark.csv", timing=True))
    return rows


def _speed_ratio_column(benchmark: pd.DataFrame) -> tuple[str, str]:
    """The strongest reference the benchmark measured: FastJet's C++ loop where it was compiled."""
    if "ratio_cpp" in benchmark and benchmark["ratio_cpp"].notna().any():
        return "ratio_cpp", "FastJet C++"
    if "ratio_awkward" in benchmark:
        return "ratio_awkward", "FastJet (Python interface)"
    return "ratio", "FastJet (Python interface)"


def contrastive_rows(metrics: Mapping[str, pd.DataFrame]) -> list[dict]:
    """The clusterer's accuracy beside the best label-free baseline and any reference that uses labels."""
    rows = []
    for imageset, table in metrics.items():
        ours = table[table["method"] == CLUSTERER].iloc[0]
        uses_labels = table["uses_labels"].astype(bool)
        # not the clusterer's own rows (its answer before self-labelling is not a baseline)
        baselines = table[~table["method"].str.startswith(CLUSTERER) & ~uses_labels]
        best = baselines.sort_values("hungarian_accuracy", ascending=False, kind="stable").iloc[0]
        rows.append(_row("contrastive", imageset, "clusterer Hungarian ACC (held out)",
                         round(ours["hungarian_accuracy"], 3),
                         f"best baseline: {best['method']} {best['hungarian_accuracy']:.3f}",
                         f"contrastive / {imageset} / metrics.csv"))
        rows.append(_row("contrastive", imageset, "clusterer NMI", round(ours["nmi"], 3),
                         f"best baseline NMI {best['nmi']:.3f}", f"contrastive / {imageset} / metrics.csv"))
        for _, ref in table[uses_labels].iterrows():
            rows.append(_row("contrastive", imageset, f"{ref['method']} ACC (a ceiling)",
                             round(ref["hungarian_accuracy"], 3), "", f"contrastive / {imageset} / metrics.csv"))
    return rows


def tsne_rows(timing: pd.DataFrame) -> list[dict]:
    largest = timing.sort_values("n_points").iloc[-1]
    return [_row("embeddings", f"t-SNE, {int(largest['n_points'])} points", "scikit-learn time / openTSNE time",
                 round(float(largest["sklearn_over_opentsne"]), 2),
                 f"openTSNE {largest['opentsne_s']:.2f} s, scikit-learn {largest['sklearn_s']:.2f} s",
                 "performance / tsne_benchmark.csv", timing=True)]


def headline_table(classical: Mapping[str, str], jets: Mapping[str, str] | None,
                   contrastive: Mapping[str, str], tsne: str | None) -> pd.DataFrame:
    """One table from the result files: ``classical``/``contrastive`` map dataset/image set to metrics.csv,
    ``jets`` holds ``validation`` and ``benchmark`` CSVs, ``tsne`` the t-SNE timing CSV (parts may be absent)."""
    scores = ("method", "ari", "nmi", "hungarian_accuracy")
    rows = classical_rows({d: read_csv(p, scores) for d, p in classical.items()})
    if jets:
        rows += jets_rows(read_csv(jets["validation"], ("n_events", "n_events_differ")),
                          read_csv(jets["benchmark"], ("source", "algorithm", "R", "multiplicity")))
    rows += contrastive_rows({s: read_csv(p, scores) for s, p in contrastive.items()})
    if tsne:
        rows += tsne_rows(read_csv(tsne, ("n_points", "opentsne_s", "sklearn_s", "sklearn_over_opentsne")))
    return pd.DataFrame(rows, columns=COLUMNS)


STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:14px}th,td{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}
th{background:#f3f3f3}td.value{font-weight:600;text-align:right;font-variant-numeric:tabular-nums}
tr.section td{background:#fafafa;font-weight:600;padding-top:10px}td.details{color:#666;font-size:12px}"""


def to_html(table: pd.DataFrame, title: str) -> str:
    """A standalone page (the report shows it in a frame): one block of rows per section."""
    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
           f"<style>{STYLE}</style></head><body><h2>{html.escape(title)}</h2>",
           "<table id='summary'><thead><tr><th>subject</th><th>result</th><th>value</th><th>compared with</th>"
           "<th>details in the report</th></tr></thead><tbody>"]
    for section, rows in table.groupby("section", sort=False):
        out.append(f"<tr class='section'><td colspan='5'>{html.escape(str(section))}</td></tr>")
        for _, r in rows.iterrows():
            cells = [r["subject"], r["result"], r["value"], r["compared_with"], r["details"]]
            cls = ["", "", " class='value'", "", " class='details'"]
            out.append("<tr>" + "".join(f"<td{c}>{html.escape(str(v))}</td>" for c, v in zip(cls, cells)) + "</tr>")
    out.append("</tbody></table></body></html>\n")
    return "".join(out)


def write_html(path: str | Path, table: pd.DataFrame, title: str) -> None:
    with atomic_output(path) as tmp:
        tmp.write_text(to_html(table, title), encoding="utf-8")
