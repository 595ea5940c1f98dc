"""Error types a *user* can cause.

They carry the offending config key or file path in the message, so that a
failed workflow run tells the physicist what to fix instead of a traceback
from deep inside numpy.
"""


class HepclustError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(HepclustError, ValueError):
    """A config value is invalid.  ``key`` is its dotted path, e.g. ``toy.components[1].cov``."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"config key '{key}': {message}")


class InputError(HepclustError, ValueError):
    """An input file is missing, corrupt, of the wrong kind or has unusable content."""

    def __init__(self, path: object, message: str) -> None:
        self.path = str(path)
        super().__init__(f"{path}: {message}")
