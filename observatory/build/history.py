"""Earlier warehouse files, kept so that a load can be undone (``observatory rollback``).

Every write renames a new file over the live warehouse. Just before, the live file is hard-linked
into ``history/`` (no copy: the old file simply keeps a second name), with a JSON note saying which
load replaced it. The last ``OBSERVATORY_HISTORY_KEEP`` files are kept. A rollback renames the
newest kept file over the live one: one rename, like a build, so a reader sees either the old or
the new file, never half of one (``db.Warehouse`` re-attaches when the inode changes). The file it
replaces is kept too, marked as rolled back, so a mistaken rollback can be inspected.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from observatory.contract.settings import Settings


class RollbackError(RuntimeError):
    """There is nothing to roll back to; the live warehouse is unchanged."""


@dataclass(frozen=True)
class Kept:
    path: Path
    saved_at: str
    replaced_by: dict  # the load (source, release, file_name) that replaced this file, or a rollback
    rolled_back: bool  # this file was live until a rollback replaced it

    def describe(self) -> str:
        r = self.replaced_by
        if self.rolled_back:
            return f"{self.saved_at}  undone by a rollback (was: {r.get('source')} {r.get('release') or ''} {r.get('file_name') or ''})"
        return f"{self.saved_at}  as it was before {r.get('source')} {r.get('release') or ''} {r.get('file_name') or ''}"


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S.%f")


def _note(path: Path) -> Path:
    return path.with_suffix(".json")


def keep(
    settings: Settings, replaced_by: dict, *, rolled_back: bool = False, then_prune: bool = True
) -> Path | None:
    """Give the live warehouse a second name in ``history/`` before it is replaced; prune."""
    live = settings.warehouse_path
    if settings.history_keep <= 0 or not live.exists():
        prune(settings)
        return None
    folder = settings.history_dir
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{live.stem}.{_stamp()}.{uuid.uuid4().hex[:6]}.duckdb"
    try:
        os.link(live, target)
    except OSError:  # a file system without hard links: copy instead
        shutil.copyfile(live, target)
    note = {
        "saved_at": dt.datetime.now().replace(microsecond=0).isoformat(),
        "replaced_by": replaced_by,
        "rolled_back": rolled_back,
    }
    _note(target).write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")
    if then_prune:
        prune(settings)
    return target


def kept(settings: Settings) -> list[Kept]:
    """Kept files, oldest first."""
    folder = settings.history_dir
    out = []
    for path in sorted(folder.glob(f"{settings.warehouse_path.stem}.*.duckdb")):
        try:
            note = json.loads(_note(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            note = {}
        out.append(
            Kept(path, note.get("saved_at", ""), note.get("replaced_by", {}), bool(note.get("rolled_back")))
        )
    return out


def prune(settings: Settings) -> None:
    files = kept(settings)
    for old in files[: max(0, len(files) - settings.history_keep)]:
        old.path.unlink(missing_ok=True)
        _note(old.path).unlink(missing_ok=True)


def rollback(settings: Settings) -> Kept:
    """Put back the warehouse as it was before the last load; returns the file restored.

    The current live file is kept, marked as rolled back. Raises ``RollbackError`` when no
    earlier file is kept.
    """
    candidates = [k for k in kept(settings) if not k.rolled_back]
    if not candidates:
        raise RollbackError(
            f"no earlier warehouse kept in {settings.history_dir.name}/ "
            f"(OBSERVATORY_HISTORY_KEEP={settings.history_keep}); nothing was changed"
        )
    target = candidates[-1]
    live = settings.warehouse_path
    if live.exists():
        keep(settings, target.replaced_by, rolled_back=True, then_prune=False)
    os.replace(target.path, live)  # the one rename readers can see
    _note(target.path).unlink(missing_ok=True)
    prune(settings)
    return target
