"""The exception of a failure the operator can fix, and how it is reported."""

from __future__ import annotations


class StartupError(Exception):
    """A start-up or command failure: what is wrong and, on a second line, what to do.

    Args:
        problem: One line naming what is wrong (the path, setting or database).
        remedy: One line saying what to do about it, or empty.
        exit_code: The process's exit status (2: invalid settings, 1: anything else).
    """

    def __init__(self, problem: str, remedy: str = "", *, exit_code: int = 1) -> None:
        super().__init__(problem)
        self.problem = problem
        self.remedy = remedy
        self.exit_code = exit_code

    def lines(self) -> list[str]:
        """The message as printed: ``Error: <problem>`` and the remedy, if any."""
        return [f"Error: {self.problem}", *([self.remedy] if self.remedy else [])]
