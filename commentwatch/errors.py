"""Every error a user can cause, in one family.

Each class derives from ``CommentwatchError`` and from the built-in that fits
it (a bad value is a ``ValueError``, a missing model a ``RuntimeError``, a
service that will not answer a ``ConnectionError``), as aiohttp's
``ClientError`` family does: callers catch the family or the built-in, and
the command line catches the base once and prints ``commentwatch: <what>
(<where>)`` instead of a traceback.

The tree::

    CommentwatchError
    ├── ConfigError           a config key is missing, unknown or wrong (ValueError)
    ├── InputError            a file or line given to a command is unusable (ValueError)
    │   └── DataError         a labelled or COLD training file is unusable
    ├── LexiconError          the lexicon folder has problems (ValueError)
    ├── ExemplarError         an exemplar file cannot be used (ValueError)
    ├── ModelError            a model cannot be found, loaded or used (RuntimeError)
    │   ├── EmbeddingModelError
    │   └── ClassifierError
    ├── ServiceError          the comment service failed for good (ConnectionError)
    ├── PayloadError          the comment service sent an unreadable body (ValueError)
    ├── SinkError             an alert could not be delivered (ConnectionError)
    └── ReferenceServiceError the reference service was asked for something it cannot do
        ├── FaultSpecError    (ValueError)
        ├── BadRequest        (ValueError)
        └── StoreError        (LookupError)
"""

from __future__ import annotations

from os import PathLike


class CommentwatchError(Exception):
    """Base of the family; ``where`` names the file, key or place, when known."""

    def __init__(self, what: str, where: str | PathLike[str] | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.where = str(where) if where else ""

    def __str__(self) -> str:
        return f"{self.what} ({self.where})" if self.where else self.what


class ConfigError(CommentwatchError, ValueError):
    """A config value is missing, unknown or of the wrong type; names the key."""


class InputError(CommentwatchError, ValueError):
    """A file or line given to a command is unusable; the message says what and where."""


class DataError(InputError):
    """A training file is missing or malformed; names the file and line."""


class LexiconError(CommentwatchError, ValueError):
    """The lexicon folder has problems; ``problems`` lists each one."""

    def __init__(self, problems: list, where: str | PathLike[str] | None = None) -> None:
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} lexicon problem(s):\n{shown}{more}", where)


class ExemplarError(CommentwatchError, ValueError):
    """An exemplar file cannot be used; the message names the file and line."""


class ModelError(CommentwatchError, RuntimeError):
    """A model artefact cannot be found, loaded or used."""


class EmbeddingModelError(ModelError):
    """The configured embedding model cannot be found, loaded or used."""


class ClassifierError(ModelError):
    """The classifier artefact is missing, broken, or was trained for another model."""


class NgramModelError(ModelError):
    """The character n-gram model's artefact is missing, broken or built with other settings."""


class DecisionLayerError(ModelError):
    """The decision layer's artefact is missing, broken, or reads other features."""


class ServiceError(CommentwatchError, ConnectionError):
    """A call to the comment service failed for good: retries exhausted, or an answer retrying cannot fix."""

    def __init__(self, message: str, *, method: str, url: str, status: int | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        #: The last HTTP status, or ``None`` when no answer came.
        self.status = status
        self.attempts = attempts


class PayloadError(CommentwatchError, ValueError):
    """A comment-service payload as a whole cannot be read."""


class SinkError(CommentwatchError, ConnectionError):
    """An alert could not be delivered; the message says to where and why."""


class ReferenceServiceError(CommentwatchError):
    """The reference comment service was asked for something it cannot do."""


class FaultSpecError(ReferenceServiceError, ValueError):
    """A fault request is invalid; the message names the field."""


class BadRequest(ReferenceServiceError, ValueError):
    """A parameter or body field is wrong; the message names it."""


class StoreError(ReferenceServiceError, LookupError):
    """A video or item does not exist; the message names which."""
