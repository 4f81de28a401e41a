"""DuckDB: ``io.kestra.plugin.jdbc.duckdb.Query`` and ``.Queries`` on the duckdb package
(after plugin-jdbc's ``duckdb/Query.java`` and ``AbstractJdbcBaseQuery``, KESTRA.md §2.7).

* The database: ``url`` ``jdbc:duckdb:`` (default) is a fresh ``.db`` file in the task's working
  directory; ``jdbc:duckdb:<path>`` a file (a relative path is taken inside the working
  directory), ``jdbc:duckdb::memory:`` memory only. ``databaseUri`` (a ``kestra://`` ``.db``
  file) is copied in and used instead; ``outputDbFile: true`` stores the database file afterwards
  (output ``databaseUri``).
* ``inputFiles`` are written to the working directory, which is DuckDB's ``file_search_path``:
  the SQL reads ``in.csv`` or ``{{ workingDir }}/in.csv``. ``outputFiles`` are names: the SQL
  writes ``{{ outputFiles.<name> }}`` and each file is stored (output ``outputFiles``).
  ``{{ dbFilePath }}`` is the database file.
* ``sql`` may hold several statements; Query keeps the result of the last one (DuckDB's
  multi-statement rule). ``parameters`` bind ``:name`` placeholders (outside quotes; ``::``
  casts are left alone); a name not in ``parameters`` is left as written.
* ``fetchType``: ``FETCH_ONE`` -> ``row``, ``FETCH`` -> ``rows``, ``STORE`` -> ``uri`` (an Ion
  file, one struct per line, see :mod:`runtime.ion`), ``NONE`` (default); ``size`` is the number
  of rows for the first three. The deprecated booleans ``fetch``, ``fetchOne``, ``store`` win, in
  that order. Without a result set (DDL, INSERT...) nothing is fetched.
* Values convert as Kestra's: dates, times and timestamps become ISO strings (a naive TIMESTAMP
  is read in ``timeZoneId``, default UTC), decimals numbers, intervals ISO durations, UUIDs
  strings, blobs base64. In a STORE file they keep Kestra's Ion spellings (a DATE is an Ion
  timestamp, a TIMESTAMP ``ZonedDateTime::"..."``, a DECIMAL an Ion decimal).
* Queries runs each statement and returns ``outputs``: one ``{row|rows|uri, size}`` per statement
  that has a result set, inside one transaction (``transaction``, default true).

A cancel (``ctx.cancel``) interrupts the running statement.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import decimal
import re
import secrets
import threading
import uuid
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runtime.errors import TaskError
from runtime.tasks.base import TaskContext
from runtime.tasks.props import Props
from runtime.tasks.workdir import fetch_to, input_files_map, temp_name, write_input_files

__all__ = ["TASKS"]

DUCKDB = "io.kestra.plugin.jdbc.duckdb"
DEFAULT_URL = "jdbc:duckdb:"
FETCH_TYPES = ("FETCH_ONE", "FETCH", "STORE", "NONE")
_FILENAME_TRUE = re.compile(r".*filename\s*=\s*(true|1).*", re.DOTALL)
_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


# --------------------------------------------------------------------------- values


def _zone(p: Props) -> dt.tzinfo:
    name = p.string("timeZoneId")
    if not name:
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise TaskError(f"property 'timeZoneId': unknown time zone '{name}'") from None


def _plain(value: Any, zone: dt.tzinfo) -> Any:
    """A DuckDB value -> what Kestra's JSON outputs hold."""
    from runtime.ion import duration_iso, java_iso

    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, decimal.Decimal):
        if (
            value.is_finite()
            and value == value.to_integral_value()
            and value.as_tuple().exponent >= 0
        ):
            return int(value)
        return float(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return java_iso(value)
    if isinstance(value, dt.date | dt.time):
        return java_iso(value)
    if isinstance(value, dt.timedelta):
        return duration_iso(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): _plain(v, zone) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, zone) for v in value]
    return str(value)


def _zone_suffix(zone: dt.tzinfo) -> str:
    key = getattr(zone, "key", None)
    return f"[{key}]" if key else ""


def _ion(value: Any, zone: dt.tzinfo) -> Any:
    """A DuckDB value -> what Kestra's Ion mapper writes for the same JDBC value."""
    from runtime.ion import annotated, java_iso

    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # TIMESTAMP -> ZonedDateTime in the task's zone
            zoned = value.replace(tzinfo=zone)
            return annotated("ZonedDateTime", java_iso(zoned) + _zone_suffix(zone))
        utc = value.astimezone(dt.UTC)  # TIMESTAMPTZ -> OffsetDateTime at UTC
        return annotated("OffsetDateTime", java_iso(utc))
    if isinstance(value, Mapping):
        return {str(k): _ion(v, zone) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_ion(v, zone) for v in value]
    return value


# --------------------------------------------------------------------------- SQL helpers


def _fetch_type(p: Props) -> str:
    for flag, mode in (("fetch", "FETCH"), ("fetchOne", "FETCH_ONE"), ("store", "STORE")):
        if p.boolean(flag, False):
            return mode
    return p.choice("fetchType", FETCH_TYPES, "NONE") or "NONE"


def _bind(sql: str, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """``:name`` placeholders (outside quotes, not ``::`` casts) -> ``?`` with their values."""
    if not params:
        return sql, []
    out: list[str] = []
    values: list[Any] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1])
            i = end + 1
            continue
        if ch == ":" and (i == 0 or sql[i - 1] != ":") and i + 1 < n and sql[i + 1] != ":":
            m = re.match(r"[A-Za-z_]\w*", sql[i + 1 :])
            if m and m.group(0) in params:
                out.append("?")
                values.append(params[m.group(0)])
                i += 1 + len(m.group(0))
                continue
        out.append(ch)
        i += 1
    return "".join(out), values


def _returns_rows(statement: Any) -> bool:
    import duckdb

    expected = list(getattr(statement, "expected_result_type", []) or [])
    if statement.type == duckdb.StatementType.SELECT:
        return True
    return expected == [duckdb.ExpectedResultType.QUERY_RESULT]


def _sql_error(exc: Exception, sql: str) -> TaskError:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    detail = "\n".join(text.splitlines()[1:]).strip()
    message = f"the SQL failed: {first}"
    if detail:
        message += f"\n{detail}"
    return TaskError(message)


class _Interrupter:
    """Interrupts the connection's running statement when the task is cancelled."""

    def __init__(self, ctx: TaskContext, con: Any) -> None:
        self.ctx, self.con = ctx, con
        self.done = threading.Event()
        self.interrupted = False
        self.thread = threading.Thread(
            target=self._watch, name=f"flowc-duckdb-{ctx.task_id}", daemon=True
        )

    def _watch(self) -> None:
        while not self.done.wait(0.05):
            remaining = self.ctx.remaining()
            if self.ctx.cancel.is_set() or (remaining is not None and remaining <= 0):
                self.interrupted = True
                with contextlib.suppress(Exception):
                    self.con.interrupt()
                return

    def __enter__(self) -> _Interrupter:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.done.set()
        self.thread.join(1.0)


# --------------------------------------------------------------------------- the task


class _Setup:
    """Database, working directory, files and rendered SQL of one run."""

    def __init__(self, props: Mapping[str, Any], ctx: TaskContext) -> None:
        p = Props(props, ctx)
        self.p, self.ctx = p, ctx
        self.workdir = ctx.working_dir()
        self.zone = _zone(p)
        url = (p.string("url", DEFAULT_URL) or DEFAULT_URL).strip()
        if not url.startswith(DEFAULT_URL):
            raise TaskError(
                f"property 'url' '{url}' is not a DuckDB JDBC URL: it starts with 'jdbc:duckdb:'"
            )
        target = url[len(DEFAULT_URL) :].split("?", 1)[0]
        self.database: str
        self.db_file: Path | None
        if target in ("", ":memory:") or target.startswith(":memory:"):
            if target:
                self.db_file, self.database = None, ":memory:"
            else:
                self.db_file = self.workdir / temp_name(".db")
                self.database = str(self.db_file)
        elif target.startswith(("md:", "motherduck:")):
            self.db_file, self.database = None, target
        else:
            path = Path(target)
            if not path.is_absolute():
                from runtime.tasks.workdir import safe_path

                path = safe_path(self.workdir, target, "database file")
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db_file, self.database = path, str(path)
        self.extra: dict[str, Any] = {"workingDir": str(self.workdir)}
        if self.db_file is not None:
            self.extra["dbFilePath"] = str(self.db_file)

        write_input_files(
            ctx, self.workdir, input_files_map(p, "inputFiles", self.extra), self.extra
        )

        db_uri = p.string("databaseUri")
        if db_uri:
            self.db_file = fetch_to(ctx, db_uri.strip(), self.workdir / temp_name(".db"))
            self.database = str(self.db_file)
            self.extra["dbFilePath"] = str(self.db_file)

        self.output_files: dict[str, Path] = {}
        for name in p.list("outputFiles", extra=self.extra) or []:
            if not _NAME.match(name):
                raise TaskError(
                    f"outputFiles name '{name}' is not a plain file name (letters, digits, '.', '-', '_')"
                )
            self.output_files[name] = self.workdir / f"{secrets.token_hex(8)}_{name}"
        if self.output_files:
            self.extra["outputFiles"] = {k: str(v) for k, v in self.output_files.items()}

        self.fetch_type = _fetch_type(p)
        self.fetch_size = p.integer("fetchSize", 10000, minimum=1) or 10000
        params = p.map("parameters", extra=self.extra)
        self.params = params or {}

    def sql(self) -> str:
        sql = self.p.string("sql", required=True, extra=self.extra) or ""
        if not sql.strip():
            raise TaskError("property 'sql' is empty")
        return sql

    def connect(self) -> Any:
        import duckdb

        try:
            con = duckdb.connect(self.database)
        except duckdb.Error as exc:
            raise TaskError(f"cannot open the DuckDB database '{self.database}': {exc}") from None
        con.execute(f"SET file_search_path='{_quote(str(self.workdir))}'")
        return con

    def fetch(self, result: Any) -> dict[str, Any]:
        """Outputs for the fetch type from a duckdb result (a connection after execute)."""
        if self.fetch_type == "NONE":
            return {}
        columns = [d[0] for d in result.description or []]
        if self.fetch_type == "FETCH_ONE":
            row = result.fetchone()
            if row is None:
                return {"row": None, "size": 0}
            return {"row": {c: _plain(v, self.zone) for c, v in zip(columns, row)}, "size": 1}
        if self.fetch_type == "FETCH":
            rows = [
                {c: _plain(v, self.zone) for c, v in zip(columns, row)} for row in result.fetchall()
            ]
            return {"rows": rows, "size": len(rows)}
        from runtime.ion import dumps

        path = self.workdir / temp_name(".ion")
        size = 0
        with open(path, "w", encoding="utf-8") as fh:
            while True:
                batch = result.fetchmany(self.fetch_size)
                if not batch:
                    break
                for row in batch:
                    fh.write(dumps({c: _ion(v, self.zone) for c, v in zip(columns, row)}))
                    fh.write("\n")
                    size += 1
                self.ctx.check_cancelled()
        return {"uri": self.ctx.put_file(path), "size": size}

    def finish(self, con: Any, outputs: dict[str, Any]) -> dict[str, Any]:
        """Close the database, then store outputFiles and the database file."""
        con.close()
        stored: dict[str, str] = {}
        for name, path in self.output_files.items():
            if not path.is_file():
                raise TaskError(
                    f"outputFiles '{name}' was not written by the SQL; write it with e.g. "
                    f"COPY ... TO '{{{{ outputFiles.{name} }}}}'"
                )
            stored[name] = self.ctx.put_file(path)
        outputs["outputFiles"] = stored
        if self.p.boolean("outputDbFile", False):
            if self.db_file is None or not self.db_file.is_file():
                raise TaskError(
                    "outputDbFile needs a database file; this url has none (in memory or remote)"
                )
            outputs["databaseUri"] = self.ctx.put_file(self.db_file)
        return outputs


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _statements(con: Any, sql: str) -> list[Any]:
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise _sql_error(exc, sql) from None
    if not statements:
        raise TaskError("property 'sql' holds no statement")
    return statements


def _take(statement: Any, values: list[Any]) -> list[Any]:
    """The leading values that ``statement``'s ``?`` placeholders consume (removed from ``values``)."""
    count = len(getattr(statement, "named_parameters", ()) or ())
    taken, values[:] = values[:count], values[count:]
    return taken


def _execute(con: Any, statement: Any, values: list[Any]) -> None:
    if values:
        con.execute(statement, values)
    else:
        con.execute(statement)


def query(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    import duckdb

    setup = _Setup(props, ctx)
    sql = setup.sql()
    if _FILENAME_TRUE.match(sql.lower()):
        wd = re.escape(str(setup.workdir)).replace("'", "''")
        sql = (
            f"SELECT * REPLACE(regexp_replace(filename, '^{wd}/', '') AS filename) FROM ("
            + re.sub(r";\s*$", "", sql)
            + ")"
        )
    text, values = _bind(sql, setup.params)
    con = setup.connect()
    outputs: dict[str, Any] = {}
    try:
        statements = _statements(con, text)
        with _Interrupter(ctx, con) as watch:
            try:
                for statement in statements:
                    _execute(con, statement, _take(statement, values))
                if _returns_rows(statements[-1]):
                    outputs = setup.fetch(con)
            except duckdb.Error as exc:
                if watch.interrupted:
                    raise TaskError(
                        "the query was interrupted: the task was cancelled (timeout or kill)"
                    ) from None
                raise _sql_error(exc, sql) from None
    except BaseException:
        con.close()
        raise
    ctx.metric("fetch.size", "counter", float(outputs.get("size", 0)))
    return setup.finish(con, outputs)


def queries(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    import duckdb

    setup = _Setup(props, ctx)
    sql = setup.sql()
    transaction = setup.p.boolean("transaction", True)
    text, values = _bind(sql, setup.params)
    con = setup.connect()
    results: list[dict[str, Any]] = []
    try:
        statements = _statements(con, text)
        with _Interrupter(ctx, con) as watch:
            try:
                if transaction:
                    con.begin()
                for statement in statements:
                    _execute(con, statement, _take(statement, values))
                    if _returns_rows(statement):
                        results.append(setup.fetch(con))
                if transaction:
                    con.commit()
            except duckdb.Error as exc:
                if transaction:
                    with contextlib.suppress(duckdb.Error):
                        con.rollback()
                if watch.interrupted:
                    raise TaskError(
                        "the queries were interrupted: the task was cancelled (timeout or kill)"
                    ) from None
                raise _sql_error(exc, sql) from None
    except BaseException:
        con.close()
        raise
    return setup.finish(con, {"outputs": results})


TASKS = {
    f"{DUCKDB}.Query": query,
    f"{DUCKDB}.Queries": queries,
}
