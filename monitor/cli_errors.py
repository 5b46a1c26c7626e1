"""The one error every ``eventflow`` subcommand raises for the user: a sentence that says
what is wrong and what to do, printed as ``eventflow: ...`` on stderr, exit code 1."""

from __future__ import annotations


class CliError(Exception):
    """A problem to report to the user in one sentence (exit code 1)."""
