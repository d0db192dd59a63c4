"""The agent's on-disk queue: nothing leaves it unacknowledged; when full, the oldest go first, counted."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from edge_agent.store import ReadingStore


def _items(n: int, start: int = 0) -> list[tuple[str, int, bytes]]:
    return [("U-1", 1, f"r{i}".encode()) for i in range(start, start + n)]


def test_readings_come_out_in_the_order_they_went_in(tmp_path: Path) -> None:
    store = ReadingStore(tmp_path / "q.sqlite")
    store.put(_items(5))
    assert [q.reading for q in store.peek(0, 10)] == [f"r{i}".encode() for i in range(5)]
    assert [q.reading for q in store.peek(store.peek(0, 2)[-1].seq, 10)] == [b"r2", b"r3", b"r4"]


def test_only_acknowledged_readings_are_removed(tmp_path: Path) -> None:
    store = ReadingStore(tmp_path / "q.sqlite")
    store.put(_items(3))
    first, _, third = store.peek(0, 3)
    store.ack([first.seq, third.seq, 10_000])
    assert [q.reading for q in store.peek(0, 10)] == [b"r1"]
    assert store.depth == 1


def test_a_full_queue_drops_the_oldest_first_and_counts_them(tmp_path: Path) -> None:
    store = ReadingStore(tmp_path / "q.sqlite", max_readings=4)
    assert store.put(_items(3)) == 0
    assert store.put(_items(3, start=3)) == 2
    assert [q.reading for q in store.peek(0, 10)] == [b"r2", b"r3", b"r4", b"r5"]
    assert (store.depth, store.dropped) == (4, 2)


def test_the_queue_and_its_drop_count_survive_a_restart(tmp_path: Path) -> None:
    store = ReadingStore(tmp_path / "q.sqlite", max_readings=2)
    store.put(_items(3))
    store.close()
    reopened = ReadingStore(tmp_path / "q.sqlite", max_readings=2)
    assert (reopened.depth, reopened.dropped) == (2, 1)
    assert [q.reading for q in reopened.peek(0, 10)] == [b"r1", b"r2"]


_FILL_THEN_DIE = """
import os, signal, sys
from pathlib import Path
from edge_agent.store import ReadingStore
store = ReadingStore(Path(sys.argv[1]))
store.put([("U-1", 1, b"r%d" % i) for i in range(100)])
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_readings_put_before_a_kill_9_are_still_there(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite"
    result = subprocess.run([sys.executable, "-c", _FILL_THEN_DIE, str(path)], check=False, timeout=60)
    assert result.returncode == -signal.SIGKILL
    assert ReadingStore(path).depth == 100


def test_a_queue_bound_below_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ReadingStore(tmp_path / "q.sqlite", max_readings=0)
