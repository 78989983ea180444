"""The project's exceptions share one base class, which carries the ``drane`` exit code.

Every exception the package raises on purpose derives from :class:`DraneError` (keeping
its other bases: :class:`~.catalogue.CatalogueError` is still a ``ValueError``). Its
message is French, written for the person running the command; ``exit_code`` is what
``drane`` returns when it stops on it (the command prints the message, never a traceback).

The exit codes are the ``EXIT_*`` constants below (explained in ``drane --help`` and
:mod:`.schedule`).
"""

from __future__ import annotations

EXIT_OK = 0
#: A report failed to build, or ``validate`` found problems.
EXIT_FAILED = 1
#: Wrong arguments (unknown target or scope, missing data folder).
EXIT_USAGE = 2
#: Unusable data (a source is missing or broken).
EXIT_DATA = 3
#: Another build holds the output folder's lock.
EXIT_LOCKED = 4
#: Unexpected error, or the output folder cannot be written.
EXIT_INTERNAL = 5


class DraneError(Exception):
    """An error of the project, with a French message and the exit code of ``drane``.

    A subclass sets ``exit_code`` (class attribute) to what the command returns when it
    stops on that error; the message (``str(exc)``) is what it prints.
    """

    exit_code: int = EXIT_FAILED
