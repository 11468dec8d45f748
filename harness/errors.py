"""Errors shared across the package."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in what the user asked for: the CLI prints it as one line and exits 2, never a traceback."""
