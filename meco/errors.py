"""The root of meco's user errors, and the one place the command line turns them into a message.

A `MecoError` is something the user can fix (a bad option, a missing or damaged file); its message names the
file, option or value. The commands print it as one line and exit 1. Any other exception is a bug in meco
(or in a library below it) and keeps its traceback. Most subclasses are also `ValueError`s or `OSError`s, as
they were before this root existed, so `except ValueError` in user code keeps working.
"""

from __future__ import annotations

import functools


class MecoError(Exception):
    """A problem with the user's input, options or files; the message says which and what to do."""


class OptionError(MecoError, ValueError):
    """An option value that makes no sense (out of range, contradicting another option)."""


def reported(command):
    """Decorate a click command's function so that a MecoError (or an OSError from the system) ends the command
    with its one-line message."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        import click  # only the command line needs click

        try:
            return command(*args, **kwargs)
        except (MecoError, OSError) as e:  # OSError: a full disk, a permission; its message names the path
            raise click.ClickException(str(e)) from e

    return run
