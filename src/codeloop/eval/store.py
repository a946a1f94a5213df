"""A run directory's SQLite store: every turn, append-only, safe against ``kill -9``.

Rows are only ever inserted, each in its own committed transaction (WAL journal), so a killed
run loses at most the turn in flight; ``episodes`` marks an episode complete, and a rerun
continues every incomplete episode from its last stored turn.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from codeloop.loop import Episode, Turn

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS turns (
    task_id TEXT NOT NULL, sample INTEGER NOT NULL, turn INTEGER NOT NULL,
    messages TEXT NOT NULL, reply TEXT NOT NULL, code TEXT, program TEXT,
    public_verdict TEXT NOT NULL, public TEXT NOT NULL, hidden_verdict TEXT NOT NULL, hidden TEXT NOT NULL,
    feedback TEXT NOT NULL, prompt_tokens INTEGER, completion_tokens INTEGER, generate_s REAL, execute_s REAL,
    created TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (task_id, sample, turn));
CREATE TABLE IF NOT EXISTS episodes (
    task_id TEXT NOT NULL, sample INTEGER NOT NULL, turns INTEGER NOT NULL, passed INTEGER NOT NULL,
    first_turn_passed INTEGER NOT NULL, created TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (task_id, sample));
"""
_JSON_FIELDS = ("messages", "public", "hidden")


class RunStore:
    def __init__(self, run_dir: str | Path) -> None:
        self.dir = Path(run_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / "run.sqlite"
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- configuration -----------------------------------------------------------------------
    def config(self) -> dict | None:
        rows = self._select("SELECT value FROM meta WHERE key = 'config'")
        return json.loads(rows[0]["value"]) if rows else None

    def bind_config(self, config: dict) -> None:
        """Record the run's configuration, or check it matches the one already recorded."""
        stored = self.config()
        if stored is None:
            with self._lock:
                self._db.execute("INSERT INTO meta VALUES ('config', ?)", (json.dumps(config, sort_keys=True),))
        elif stored != json.loads(json.dumps(config)):
            changed = sorted(k for k in set(stored) | set(config) if stored.get(k) != config.get(k))
            raise ValueError(f"{self.dir}: holds a run with other settings ({', '.join(changed)}); "
                             "use another --out or the same settings to resume")

    # --- turns and episodes --------------------------------------------------------------------
    def add_turn(self, task_id: str, sample: int, turn: Turn) -> None:
        row = turn.to_dict()
        values = [task_id, sample] + [json.dumps(row[k]) if k in _JSON_FIELDS else row[k] for k in (
            "turn", "messages", "reply", "code", "program", "public_verdict", "public", "hidden_verdict", "hidden",
            "feedback", "prompt_tokens", "completion_tokens", "generate_s", "execute_s")]
        with self._lock:
            self._db.execute(f"INSERT INTO turns VALUES ({', '.join('?' * 16)}, CURRENT_TIMESTAMP)", values)

    def finish_episode(self, episode: Episode) -> None:
        with self._lock:
            self._db.execute("INSERT INTO episodes VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
                             (episode.task_id, episode.sample, len(episode.turns), int(episode.passed),
                              int(episode.first_turn_passed)))

    def finished(self) -> set[tuple[str, int]]:
        return {(row["task_id"], row["sample"]) for row in self._select("SELECT task_id, sample FROM episodes")}

    def _select(self, query: str, parameters: tuple = ()) -> list[dict]:
        """Rows as dicts; one query at a time on the shared connection (many threads use it)."""
        with self._lock:
            cursor = self._db.execute(query, parameters)
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def turns_of(self, task_id: str, sample: int) -> list[Turn]:
        return [_turn(record) for record in self._select(
            "SELECT * FROM turns WHERE task_id = ? AND sample = ? ORDER BY turn", (task_id, sample))]

    def episodes(self) -> list[Episode]:
        """Every stored episode (complete or not), turns in order."""
        grouped: dict[tuple[str, int], list[Turn]] = {}
        for record in self._select("SELECT * FROM turns ORDER BY task_id, sample, turn"):
            grouped.setdefault((record["task_id"], record["sample"]), []).append(_turn(record))
        return [Episode(task_id, sample, turns) for (task_id, sample), turns in grouped.items()]


def _turn(record: dict) -> Turn:
    values = {k: json.loads(record[k]) if k in _JSON_FIELDS else record[k] for k in (
        "turn", "messages", "reply", "code", "program", "public_verdict", "public", "hidden_verdict", "hidden",
        "feedback", "prompt_tokens", "completion_tokens", "generate_s", "execute_s")}
    return Turn(**values)
