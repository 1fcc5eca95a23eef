"""The embedded file's layout: made when a store opens it, and brought up to
:data:`~.sql.SCHEMA_VERSION` when the file is older, in one transaction (another process
opening the file at the same time waits, then finds it done)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import orjson
from tracegraph.schema.errors import InvalidInput
from tracegraph.schema.records import open_questions_after

from . import log, log_sql, sql

Begin = Callable[[], AbstractContextManager[sqlite3.Connection]]


def make_schema(db: sqlite3.Connection, begin: Begin, path: Path) -> None:
    """Create the schema, or migrate a file of an older layout (``begin`` opens the write
    transaction). On a file already current each statement of the schema runs by itself,
    as before versions: ``IF NOT EXISTS`` writes nothing unless something is missing (a
    trigger someone dropped is made again)."""
    if schema_version(db, path) == sql.SCHEMA_VERSION:
        for stmt in (*sql.SCHEMA, *log_sql.SCHEMA):
            db.execute(stmt)
        return
    with begin() as db:
        version = schema_version(db, path)  # again, under the write lock
        old = version is None and db.execute(sql.SELECT_HAS_TABLE,
                                             ("traces",)).fetchone() is not None
        rebuild_entries = old and db.execute(
            sql.SELECT_ENTRIES_WITHOUT_ROWID).fetchone() is not None
        if old:
            for stmt in sql.MIGRATE_1_TO_2_ASIDE:
                db.execute(stmt)
            if rebuild_entries:
                db.execute(sql.MIGRATE_1_TO_2_ENTRIES_ASIDE)
        for stmt in (*sql.SCHEMA, *log_sql.SCHEMA):
            db.execute(stmt)
        if old:
            for stmt in sql.MIGRATE_1_TO_2_COPY:
                db.execute(stmt)
            if rebuild_entries:
                for stmt in sql.MIGRATE_1_TO_2_ENTRIES_COPY:
                    db.execute(stmt)
        add_open_questions(db)  # (version 4; a new file has nothing paused to fill)
        if db.execute(log_sql.SELECT_ANY_LEAF).fetchone() is None:
            log.backfill(db)  # (a file made before the log, or a new one: no-op)
        db.execute(sql.SET_SCHEMA_VERSION, (str(sql.SCHEMA_VERSION),))


def schema_version(db: sqlite3.Connection, path: Path) -> int | None:
    """The file's layout version (``None``: new, or version 1); refuses a newer one."""
    if db.execute(sql.SELECT_HAS_TABLE, ("meta",)).fetchone() is None:
        return None
    row = db.execute(sql.SELECT_SCHEMA_VERSION).fetchone()
    if row is None:
        return None
    version = int(row[0])
    if version > sql.SCHEMA_VERSION:
        raise InvalidInput(f"data_dir: {path} has schema version {version}, newer "
                           f"than this tracegraph ({sql.SCHEMA_VERSION})", field="data_dir")
    return version


def json_list(ids: Sequence[str] | None) -> str | None:
    """A stored JSON array of ids (NULL for none)."""
    return orjson.dumps(list(ids)).decode() if ids else None


def add_open_questions(db: sqlite3.Connection) -> None:
    """Version 4 on an older file: the ``open_questions`` column where the traces table
    lacks it, filled for each paused trace from its human inputs by the append plan's
    rule."""
    if db.execute(sql.SELECT_HAS_OPEN_QUESTIONS).fetchone() is None:
        db.execute(sql.ADD_OPEN_QUESTIONS)
    for tenant_id, trace_id in db.execute(sql.SELECT_PAUSED).fetchall():
        asked = [orjson.loads(body)["record"] for (body,) in db.execute(
            sql.SELECT_HUMAN_INPUTS, (tenant_id, trace_id))]
        db.execute(sql.SET_OPEN_QUESTIONS, (json_list(open_questions_after((), asked)),
                                            tenant_id, trace_id))
