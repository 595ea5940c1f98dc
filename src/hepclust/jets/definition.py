"""What a jet is: algorithm, R, exponent p, strategy and recombination scheme, in one value.

FastJet separates the *definition* (``JetDefinition``) from the *work*
(``ClusterSequence``); we do the same so that our clustering and the FastJet
reference are always handed the very same definition, and a file's provenance
can record it and give it back (:meth:`JetDefinition.from_params`).

Errors name this module's own arguments (``algorithm``, ``R``, ``p``,
``strategy``, ``recombination``); mapping them to config keys is the job of
:mod:`hepclust.jets.study`, the one boundary between config and library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

# Algorithm codes of the compiled core (cluster.py) and the exponent p each name fixes.
KT, CAMBRIDGE, ANTIKT, GENKT = 0, 1, 2, 3
ALGORITHMS = {"kt": KT, "cambridge": CAMBRIDGE, "antikt": ANTIKT, "genkt": GENKT}
EXPONENT = {"kt": 1.0, "cambridge": 0.0, "antikt": -1.0}

# Strategies of our clustering: "best" picks by multiplicity and R (see cluster.choose_strategy).
BEST, PLAIN, TILED, LAZY9, LAZY25 = 0, 1, 2, 3, 4
STRATEGIES = {"best": BEST, "plain": PLAIN, "tiled": TILED, "lazy9": LAZY9, "lazy25": LAZY25}
RECOMBINATION = ("E",)  # four-vector sum, FastJet's E_scheme (its default)


class JetArgumentError(ValueError):
    """A bad argument of the jet library; ``argument`` names it (study.py maps it to a config key)."""

    def __init__(self, argument: str, message: str) -> None:
        self.argument = argument
        self.reason = message
        super().__init__(f"{argument}: {message}")


@dataclass(frozen=True)
class JetDefinition:
    """A generalised-kT jet definition; the strategy changes speed, never the jets."""

    algorithm: str
    R: float
    p: float | None = None  # only for "genkt"; the named algorithms fix it
    strategy: str = "best"
    recombination: str = "E"

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise JetArgumentError("algorithm", f"unknown jet algorithm '{self.algorithm}'; choose from {sorted(ALGORITHMS)}")
        if not self.R > 0:
            raise JetArgumentError("R", f"must be positive, got {self.R}")
        if self.algorithm == "genkt" and self.p is None:
            raise JetArgumentError("p", "algorithm 'genkt' needs an exponent p")
        if self.strategy not in STRATEGIES:
            raise JetArgumentError("strategy", f"unknown strategy '{self.strategy}'; choose from {sorted(STRATEGIES)}")
        if self.recombination not in RECOMBINATION:
            raise JetArgumentError("recombination", f"only {RECOMBINATION} (E-scheme) is implemented, got "
                             f"'{self.recombination}'")
        object.__setattr__(self, "R", float(self.R))
        # the named algorithms fix p: store it, so that the definition says exactly what was clustered
        p = EXPONENT.get(self.algorithm, self.p)
        object.__setattr__(self, "p", float(p))

    @property
    def code(self) -> int:
        """Algorithm code of the compiled core."""
        return ALGORITHMS[self.algorithm]

    @property
    def strategy_code(self) -> int:
        return STRATEGIES[self.strategy]

    def with_strategy(self, strategy: str) -> JetDefinition:
        """The same jets, computed another way."""
        return JetDefinition(self.algorithm, self.R, self.p, strategy, self.recombination)

    def params(self) -> dict[str, Any]:
        """Provenance for a file's attributes; :meth:`from_params` reads it back."""
        return asdict(self)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> JetDefinition:
        return cls(params["algorithm"], params["R"], params.get("p"), params.get("strategy", "best"),
                   params.get("recombination", "E"))

    def fastjet(self):
        """The scikit-hep ``fastjet.JetDefinition`` of the same jets (FastJet's Best strategy, E-scheme)."""
        import fastjet

        if self.algorithm == "genkt":
            return fastjet.JetDefinition(fastjet.genkt_algorithm, self.R, self.p)
        named = {"kt": fastjet.kt_algorithm, "cambridge": fastjet.cambridge_algorithm,
                 "antikt": fastjet.antikt_algorithm}
        return fastjet.JetDefinition(named[self.algorithm], self.R)

    def __str__(self) -> str:
        extra = f", p = {self.p:g}" if self.algorithm == "genkt" else ""
        return f"{self.algorithm}, R = {self.R:g}{extra}"
