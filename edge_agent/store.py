"""Store and forward: every reading is written to an on-disk queue before it is sent, and removed only
after the broker acknowledged it. SQLite in WAL mode; bounded, dropping the oldest readings first (counted).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

# 7 days at one reading a minute for 50 units (issue 3's default sizing).
DEFAULT_MAX_READINGS = 7 * 24 * 60 * 50

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    equipment TEXT NOT NULL,
    circuit INTEGER NOT NULL,
    reading BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counter (name, value) VALUES ('dropped', 0);
"""


@dataclass(frozen=True, slots=True)
class QueuedReading:
    seq: int
    equipment: str
    circuit: int
    reading: bytes  # as edge_agent.payload.encode_reading wrote it


class ReadingStore:
    """A bounded FIFO of encoded readings on disk. Not thread-safe: one thread at a time uses it."""

    def __init__(self, path: Path, max_readings: int = DEFAULT_MAX_READINGS) -> None:
        if max_readings < 1:
            raise ValueError("max_readings must be at least 1")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a process crash
        self._db.executescript(_SCHEMA)
        self.max_readings = max_readings
        self._depth = int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    @property
    def depth(self) -> int:
        return self._depth

    @property
    def dropped(self) -> int:
        """Readings dropped because the queue was full, over the queue's whole life."""
        return int(self._db.execute("SELECT value FROM counter WHERE name = 'dropped'").fetchone()[0])

    def put(self, items: list[tuple[str, int, bytes]]) -> int:
        """Append (equipment, circuit, encoded reading) items; return how many old readings were dropped."""
        if not items:
            return 0
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT INTO outbox (equipment, circuit, reading) VALUES (?, ?, ?)", items)
            self._depth += len(items)
            overflow = max(0, self._depth - self.max_readings)
            if overflow:
                self._db.execute(
                    "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)", (overflow,)
                )
                self._db.execute("UPDATE counter SET value = value + ? WHERE name = 'dropped'", (overflow,))
                self._depth -= overflow
        return overflow

    def peek(self, after_seq: int, limit: int) -> list[QueuedReading]:
        """The oldest readings with seq > after_seq, in order."""
        rows = self._db.execute(
            "SELECT seq, equipment, circuit, reading FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        return [QueuedReading(int(s), str(e), int(c), bytes(r)) for s, e, c, r in rows]

    def ack(self, seqs: list[int]) -> None:
        """Remove readings the broker acknowledged (unknown or already removed seqs are ignored)."""
        if not seqs:
            return
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            removed = self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs]).rowcount
            self._depth -= max(0, removed)

    def close(self) -> None:
        self._db.close()
