#!/usr/bin/env bash
# Snakemake runs this inside the freshly built env, from the workflow's working
# directory (the repository root): install the hepclust library, no deps (the
# env file pins them).
set -euo pipefail
pip install --no-deps --no-build-isolation -e .
