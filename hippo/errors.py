"""Errors raised for bad user input.

Every problem a user can cause (a bad TOML key, an unknown environment, a malformed
map, a value out of range) is reported as one :class:`HippoError` whose message names
the file, the key or line/column, and what is allowed. The command-line interface
prints that message alone, without a traceback.
"""


class HippoError(Exception):
    """Base class of all errors caused by user input."""


class ConfigError(HippoError):
    """A configuration or environment file, or a ``--set`` override, is invalid."""

    def __init__(self, source: str, key: str, problem: str, allowed: str | None = None):
        self.source = source
        self.key = key
        self.problem = problem
        self.allowed = allowed
        where = ": ".join(part for part in (source, key) if part)
        message = f"{where}: {problem}"
        if allowed:
            message += f" (allowed: {allowed})"
        super().__init__(message)

    def located(self, source: str, prefix: str = "") -> "ConfigError":
        """The same problem attributed to file ``source``, its key nested under the dotted ``prefix``.

        Checks that see a value but not where it came from (a dataclass's ``__post_init__``,
        an experiment's ``validate``) raise with an empty ``source``; the caller that knows
        the file relocates the error. A key may name several settings, ``"a, b"``.
        """
        if prefix and self.key:
            key = ", ".join(f"{prefix}.{part}" for part in self.key.split(", "))
        else:
            key = prefix or self.key
        return ConfigError(source, key, self.problem, self.allowed)


class DivergenceError(HippoError):
    """A simulation produced NaN or infinite values."""
