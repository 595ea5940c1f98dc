"""hepclust: clustering in particle physics.

The library behind the Snakemake workflow in this repository.  Rule scripts in
``scripts/`` only unpack ``snakemake.*`` and call into this package, so every
piece of science here is importable, testable and reusable outside Snakemake.
"""

__version__ = "0.1.0"
