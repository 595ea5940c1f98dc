"""Error types a *user* can cause.

They carry the offending config key or file path in the message, so that a
failed workflow run tells the physicist what to fix instead of a traceback
from deep inside numpy.
"""

from collections.abc import Iterator
from contextlib import contextmanager


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


class ArgumentError(HepclustError, ValueError):
    """A library function was given an unusable argument.

    The library only knows its own argument names (``argument`` is a dotted path
    inside the argument, e.g. ``components[1].cov``); which config key fed that
    argument is known only to the domain's ``study`` module, the one boundary
    that re-raises it as :class:`ConfigError` through :func:`config_boundary`.
    """

    def __init__(self, argument: str, message: str) -> None:
        self.argument = argument
        self.detail = message
        super().__init__(f"argument '{argument}': {message}")


@contextmanager
def config_boundary(prefix: str) -> Iterator[None]:
    """Re-raise :class:`ArgumentError` as :class:`ConfigError` for the key ``prefix.<argument>``."""
    try:
        yield
    except ArgumentError as exc:
        key = f"{prefix}.{exc.argument}" if prefix else exc.argument
        raise ConfigError(key.replace(".[", "["), exc.detail) from exc
