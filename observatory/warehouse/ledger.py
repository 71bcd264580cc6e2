"""What happened to writes that never reached the warehouse: failed and interrupted imports.

A failed import leaves the warehouse byte-for-byte as it was, so its record waits beside it
(``failed-loads.jsonl``); an import whose process was killed leaves only its marker. Both are
read by ``info`` and copied into the ``loads`` ledger by the next successful write.
"""

from __future__ import annotations

import json
import os

from observatory.contract.settings import Settings


def failed_loads(settings: Settings) -> list[dict]:
    path = settings.failed_loads_path
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def interrupted_loads(settings: Settings, *, clean: bool = False) -> list[dict]:
    """Writes whose process died mid-way (killed, out of memory, power cut), as failed loads.

    With ``clean``, their markers and half-written files are removed: the live warehouse was never
    touched by them, since only a finished write renames its file into place.
    """
    folder = settings.warehouse_path.parent
    out = []
    for marker in sorted(folder.glob(f".{settings.warehouse_path.name}.*.running.json")):
        try:
            record = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if _alive(int(record.get("pid", 0))):
            continue
        token = marker.name[len(settings.warehouse_path.name) + 2 : -len(".running.json")]
        out.append(
            {
                "load_id": f"{record['source']}:{record.get('release') or 'unreleased'}:interrupted:{token}",
                "source": record["source"],
                "release": record.get("release"),
                "file_name": record.get("file_name") or "",
                "started_at": record["started_at"],
                "finished_at": None,
                "status": "failed",
                "error": f"interrupted: process {record.get('pid')} ended before the import finished; "
                "the warehouse was left as it was",
            }
        )
        if clean:
            marker.unlink(missing_ok=True)
            (folder / f".{settings.warehouse_path.name}.{token}.tmp").unlink(missing_ok=True)
            (folder / f".{settings.warehouse_path.name}.{token}.tmp.wal").unlink(missing_ok=True)
    return out
