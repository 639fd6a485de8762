"""The project's own error type: one line that names the problem and what to do about it."""

from __future__ import annotations


class RagError(Exception):
    """A user-facing error. ``str()`` gives a single line: the problem, then the way out."""

    def __init__(self, problem: str, hint: str = "") -> None:
        self.problem = " ".join(problem.split())
        self.hint = " ".join(hint.split())
        super().__init__(self.problem + (f" — {self.hint}" if self.hint else ""))


class DocumentError(RagError):
    """A file that cannot be read or parsed as a document."""


class IndexError_(RagError):
    """A missing, corrupt or mismatched index."""


class ModelError(RagError):
    """Model weights that cannot be fetched, verified or loaded."""


class InputError(RagError):
    """A bad question or option."""
