"""The one error an import raises: it names the file, and the row and column when it can."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One offending cell. ``row`` is the line (CSV) or sheet row (XLSX) a person sees, header included."""

    row: int | None
    column: str | None
    value: object
    message: str

    def describe(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        shown = "" if self.value is None else f" (value {str(self.value)[:60]!r})"
        return f"{', '.join(where) or 'file'}: {self.message}{shown}"


@dataclass
class IngestError(Exception):
    """An import that must not go ahead. Nothing was written when this is raised."""

    file: str
    message: str
    problems: list[Problem] = field(default_factory=list)
    total: int | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    @property
    def rows_rejected(self) -> int:
        if self.total is not None:
            return self.total
        return len({p.row for p in self.problems if p.row is not None})

    def __str__(self) -> str:
        lines = [f"{self.file}: {self.message}"]
        shown = self.problems[:10]
        lines += [f"  {p.describe()}" for p in shown]
        more = (self.total or len(self.problems)) - len(shown)
        if more > 0:
            lines.append(f"  ... and {more} more")
        return "\n".join(lines)
