"""What makes the local stack's data survive a restart.

DynamoDB Local keeps its own database file (`-dbPath`). The embedded moto server keeps everything in this
process's memory, so this module saves the stack's own moto resources (its tables with their streams when
moto is the table backend, and its queues) to one file, together with the stream mapping's read
positions, and puts them back at the next start. It saves when the stack stops, and every couple of
seconds while it runs if anything changed, so a crash or a `kill -9` loses at most that much.

The read positions are taken before the resources in the same snapshot, so after a restart the stream
mapping never skips a record: at worst it hands the stream function records it already applied, which
every effect of that function tolerates (it is idempotent, as on Lambda after a retry).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import pickle
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.state import write_atomically

_FINAL_SAVE_ATTEMPTS = 5  # a save that meets a changing queue this often in a row is a real fault
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


class DataFolderInUse(Exception):
    """Another local stack runs on this data folder."""


class DataFolder:
    """`.questline/data/<backend>/`: one backend's data, and the credentials seeded into it. One stack at a
    time uses it: an advisory lock, which the kernel releases with the process however it ends."""

    def __init__(self, path: Path, *, fresh: bool = False) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self._lock = (path.parent / f".{path.name}.lock").open("a+")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise DataFolderInUse(
                f"another local stack uses {path}: stop it, or start this one with --in-memory"
            ) from None
        if fresh:
            shutil.rmtree(path)
            path.mkdir()
        self.path = path
        self.moto_snapshot = path / "moto.pickle"
        self.dynamodb_local = path / "dynamodb-local"
        self._seed = path / "seed.json"

    def close(self) -> None:
        """Let another stack use the folder."""
        self._lock.close()

    def seeded(self) -> dict[str, Any] | None:
        try:
            seeded: dict[str, Any] = json.loads(self._seed.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return seeded

    def remember_seed(self, seeded: dict[str, Any]) -> None:
        write_atomically(self._seed, json.dumps(seeded, indent=2) + "\n")


class _Pickler(pickle.Pickler):
    """moto's queues hold locks and conditions: saved as new, unlocked ones."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, threading.Condition):
            return threading.Condition, ()
        if isinstance(obj, _LOCK_TYPES):
            return type(obj), ()
        return NotImplemented


class MotoSnapshots:
    """Saves and restores the tables and queues whose names start with `prefix` in the embedded moto
    server (tables only when `tables` is true: with DynamoDB Local, moto serves only the queues)."""

    def __init__(
        self,
        file: Path,
        *,
        prefix: str,
        tables: bool,
        positions: Callable[[], dict[str, str]],
        interval: float = 2.0,
    ) -> None:
        self.file = file
        self.prefix = prefix
        self.tables = tables
        self.positions = positions
        self.interval = interval
        self._digest = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- restore ---------------------------------------------------------------------------------

    def restore(self) -> dict[str, str]:
        """Put the saved resources back; answers the saved stream read positions (shard -> sequence)."""
        if not self.file.exists():
            return {}
        from moto.dynamodb.models import dynamodb_backends
        from moto.sqs.models import sqs_backends

        saved = pickle.loads(self.file.read_bytes())  # noqa: S301 - our own file, written by save()
        for (account, region), tables in saved["tables"].items():
            dynamodb_backends[account][region].tables.update(tables)
        for (account, region), queues in saved["queues"].items():
            sqs_backends[account][region].queues.update(queues)
        self._digest = hashlib.sha256(self.file.read_bytes()).hexdigest()
        positions: dict[str, str] = saved["positions"]
        return positions

    # --- save ------------------------------------------------------------------------------------

    def save(self) -> bool:
        """Write a snapshot if anything changed since the last one; True when it wrote one."""
        from local import moto_fixes

        positions = dict(self.positions())  # first: never ahead of the resources saved after it
        buffer = io.BytesIO()
        with moto_fixes.write_lock():  # no DynamoDB write changes the tables while they are pickled
            _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(
                {"positions": positions, "tables": self._tables(), "queues": self._queues()}
            )
        blob = buffer.getvalue()
        digest = hashlib.sha256(blob).hexdigest()
        if digest == self._digest:
            return False
        temporary = self.file.with_name(self.file.name + ".tmp")
        temporary.write_bytes(blob)
        temporary.replace(self.file)
        self._digest = digest
        return True

    def _tables(self) -> dict[tuple[str, str], dict[str, Any]]:
        if not self.tables:
            return {}
        from moto.dynamodb.models import dynamodb_backends

        return self._own(dynamodb_backends, "tables")

    def _queues(self) -> dict[tuple[str, str], dict[str, Any]]:
        from moto.sqs.models import sqs_backends

        return self._own(sqs_backends, "queues")

    def _own(self, backends: Any, attribute: str) -> dict[tuple[str, str], dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for account, regions in list(backends.items()):
            for region, backend in list(regions.items()):
                mine = {
                    name: resource
                    for name, resource in list(getattr(backend, attribute).items())
                    if name.startswith(self.prefix)
                }
                if mine:
                    found[(account, region)] = mine
        return found

    # --- while the stack runs ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="moto-snapshots", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.save()
            except (RuntimeError, OSError):  # a queue changed while it was pickled: the next round saves it
                continue

    def stop(self) -> None:
        """Stop the periodic saving and save once more (call it once nothing writes any more)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        for attempt in range(_FINAL_SAVE_ATTEMPTS):
            try:
                self.save()
                return
            except RuntimeError:  # a queue changed while it was pickled (a late receive): pickle it again
                if attempt == _FINAL_SAVE_ATTEMPTS - 1:
                    raise
                time.sleep(0.1)
