"""Many rows through one INSERT or UPDATE, without SQLAlchemy's per-row work on SQLite.

`session.execute(statement, rows)` builds, for every row, the full parameter set of the compiled
statement and runs each value through its type's bind processor, in a general way (extra keys,
defaults, ORM events). For the follow-up engine's bulk writes (tens of thousands of outbox rows
a simulated day) that general work costs about as much as SQLite's own. Here the statement is
compiled once per dialect, and each row becomes a tuple in the compiled order, the values run
through the same bind processors: what lands in the database is what SQLAlchemy would store.

Only SQLite takes this path: PostgreSQL's driver needs SQLAlchemy's batching (psycopg2's
executemany is a round trip per row), so there the statement runs as usual.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from sqlalchemy.orm import Session


class BulkStatement:
    """`statement` (an INSERT or an UPDATE whose values are bind parameters or constants) for a
    list of rows that all carry `keys`: the columns of an INSERT, the bind names of an UPDATE."""

    def __init__(self, statement: Any, keys: Sequence[str]) -> None:
        self.statement = statement
        self.keys = tuple(keys)
        self._compiled: dict[str, tuple[str, Callable[[dict], tuple]]] = {}

    def execute(self, session: Session, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        session.flush()  # as session.execute would: pending ORM changes first
        connection = session.connection()
        dialect = connection.dialect
        if dialect.name != "sqlite":
            connection.execute(self.statement, rows)
            return
        if dialect.name not in self._compiled:
            self._compiled[dialect.name] = self._compile(dialect)
        sql, as_tuple = self._compiled[dialect.name]
        connection.exec_driver_sql(sql, [as_tuple(row) for row in rows])

    def _compile(self, dialect: Any) -> tuple[str, Callable[[dict], tuple]]:
        is_insert = self.statement.is_insert
        compiled = self.statement.compile(dialect=dialect, column_keys=list(self.keys) if is_insert else None)
        if not dialect.positional:  # pragma: no cover - SQLite's driver is positional
            raise RuntimeError(f"{dialect.name}: only positional drivers take the bulk path")
        constants = compiled.construct_params(_check=False)  # the constants; the rows bring the rest
        prefetched = {column.key for column in compiled.insert_prefetch}  # Python-side column defaults
        missing = [name for name in compiled.positiontup if name not in self.keys
                   and (name in prefetched or compiled.binds[name].required)]
        if missing:
            raise ValueError(f"rows must carry {missing} (no defaults on the bulk path)")
        processors = compiled._bind_processors  # noqa: SLF001 - the processors SQLAlchemy itself applies
        template: list[Any] = []
        from_row: list[tuple[int, str, Callable[[Any], Any] | None]] = []
        for position, name in enumerate(compiled.positiontup):
            process = processors.get(name)
            if name in self.keys:
                template.append(None)
                from_row.append((position, name, process))
            else:  # a constant of the statement (`values(status="sent")`): processed once
                value = constants[name]
                template.append(process(value) if process is not None else value)

        def as_tuple(row: dict) -> tuple:
            out = template.copy()
            for position, name, process in from_row:
                value = row[name]
                out[position] = process(value) if process is not None else value
            return tuple(out)

        return compiled.string, as_tuple
