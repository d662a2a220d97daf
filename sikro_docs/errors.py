"""Errors a person can cause, each with the exit code the CLI documents.

The CLI turns these into one line on stderr and the exit code, never a
traceback. Anything else that escapes is a bug.

Every error has a stable `code` and the `values` its message is made of, so
that each front end words it in its own language: the CLI prints the English
message (`str(err)`), the staff console says it in Bahasa Indonesia from the
code and the values (sikro_docs/console/i18n.py). `CodedError` builds its
English message from `message` and the values it is given.
"""

from collections.abc import Mapping
from types import MappingProxyType

EXIT_OK = 0
EXIT_PROBLEMS = 1  # some input rows invalid, a check failed, a verdict other than valid
EXIT_UNUSABLE = 2  # the input cannot be used at all, or no workspace

_NO_VALUES: Mapping = MappingProxyType({})


class SikroError(Exception):
    """A problem the user can fix; `str(err)` is the one-line message."""

    exit_code = EXIT_PROBLEMS
    code = "error"  # a stable name of the problem; subclasses name theirs
    values: Mapping = _NO_VALUES  # what the message is made of (CodedError fills it)


class CodedError(SikroError):
    """A SikroError whose message is `message.format(**values)`: the console words `code` in its
    own language from the same values (a subclass sets `code` and `message`)."""

    message = "{detail}"

    def __init__(self, **values):
        self.values = MappingProxyType(dict(values))
        super().__init__(self.message.format(**values))


class UnusableInput(SikroError):
    """The input file cannot be used at all (corrupt, encrypted, no header...)."""

    exit_code = EXIT_UNUSABLE
    code = "input-unusable"


class NoWorkspace(SikroError):
    exit_code = EXIT_UNUSABLE
