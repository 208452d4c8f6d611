"""`column IN <a list given at execution>` as one fixed statement on both databases.

SQLAlchemy's expanding IN renders one placeholder per item at every execution: for lists of
thousands of ids that rendering costs more than the query, and every list length is a new SQL
text (the driver's prepared-statement cache never hits). Here the list travels as one parameter:
SQLite reads it as a JSON array (`json_each`), PostgreSQL as an array (`= ANY`).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import NullType, TypeDecorator, UserDefinedType

from bot.store import jsoncodec


class _ListType(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:  # pragma: no cover - never a column
        return "ID_LIST"


class IdList(TypeDecorator):
    """A list of ints or strings: JSON text for SQLite, a list (an array) for PostgreSQL."""

    impl = _ListType
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        items = list(value)
        return jsoncodec.dumps(items) if dialect.name == "sqlite" else items


def id_list(name: str = "ids"):
    return bindparam(name, type_=IdList())


class in_list(FunctionElement):  # noqa: N801 - reads like the SQL it renders
    """`in_list(column, id_list("ids"))`: true where the column's value is in the list."""

    # No Boolean type: SQLAlchemy would compare a Boolean function with 1 on SQLite ("... = 1"),
    # which keeps SQLite from using an index for the list.
    type = NullType()
    name = "in_list"
    inherit_cache = True


def _parts(element: in_list, compiler: Any, **kw: Any) -> tuple[Any, str, str]:
    column, parameter = element.clauses.clauses
    return column, compiler.process(column, **kw), compiler.process(parameter, **kw)


@compiles(in_list, "sqlite")
def _in_list_sqlite(element: in_list, compiler: Any, **kw: Any) -> str:
    _, column, parameter = _parts(element, compiler, **kw)
    return f"{column} IN (SELECT value FROM json_each({parameter}))"


@compiles(in_list, "postgresql")
def _in_list_postgresql(element: in_list, compiler: Any, **kw: Any) -> str:
    column_element, column, parameter = _parts(element, compiler, **kw)
    # Cast, so an empty list has a type too.
    element_type = compiler.dialect.type_compiler.process(column_element.type)
    return f"{column} = ANY(CAST({parameter} AS {element_type}[]))"


@compiles(in_list)
def _in_list_other(element: in_list, compiler: Any, **kw: Any) -> str:
    raise NotImplementedError(f"id lists support SQLite and PostgreSQL, not {compiler.dialect.name}")
