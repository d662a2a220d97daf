"""Errors a person can cause, each with the exit code the CLI documents.

The CLI turns these into one line on stderr and the exit code, never a
traceback. Anything else that escapes is a bug.
"""

EXIT_OK = 0
EXIT_PROBLEMS = 1  # some input rows invalid, a check failed, a verdict other than valid
EXIT_UNUSABLE = 2  # the input cannot be used at all, or no workspace


class SikroError(Exception):
    """A problem the user can fix; `str(err)` is the one-line message."""

    exit_code = EXIT_PROBLEMS


class UnusableInput(SikroError):
    """The input file cannot be used at all (corrupt, encrypted, no header...)."""

    exit_code = EXIT_UNUSABLE


class NoWorkspace(SikroError):
    exit_code = EXIT_UNUSABLE
