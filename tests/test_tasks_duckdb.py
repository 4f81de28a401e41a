"""DuckDB Query and Queries on a real DuckDB, files in each task's working directory."""

from __future__ import annotations

import threading
import time

import pytest
from fixtures.context import make_context

from runtime.errors import TaskError
from runtime.ion import iter_values, to_plain
from runtime.tasks import implementation

QUERY = "io.kestra.plugin.jdbc.duckdb.Query"
QUERIES = "io.kestra.plugin.jdbc.duckdb.Queries"


def run(type_name: str, props: dict, ctx):
    return implementation(type_name)(props, ctx)


def ion_rows(ctx, uri: str) -> list:
    return [to_plain(v) for v in iter_values(ctx.storage.read_bytes(uri))]


# --------------------------------------------------------------------------- fetch types


def test_fetch_type_none_is_the_default(tmp_path):
    out = run(QUERY, {"sql": "SELECT 1 AS a"}, make_context(tmp_path))
    assert out == {"outputFiles": {}}


def test_fetch_one_fetch_and_store(tmp_path):
    sql = "SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, NULL)) t(id, name) ORDER BY id"
    ctx = make_context(tmp_path)
    assert run(QUERY, {"sql": sql, "fetchType": "FETCH_ONE"}, ctx) == {
        "row": {"id": 1, "name": "a"},
        "size": 1,
        "outputFiles": {},
    }
    out = run(QUERY, {"sql": sql, "fetchType": "fetch"}, ctx)
    assert out["rows"] == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": None}]
    assert out["size"] == 3
    out = run(QUERY, {"sql": sql, "fetchType": "STORE", "fetchSize": 2}, ctx)
    assert out["size"] == 3 and out["uri"].endswith(".ion")
    text = ctx.storage.read_text(out["uri"])
    assert text == '{id:1,name:"a"}\n{id:2,name:"b"}\n{id:3,name:null}\n'


def test_fetch_one_without_rows(tmp_path):
    out = run(
        QUERY,
        {"sql": "SELECT 1 AS a WHERE false", "fetchType": "FETCH_ONE"},
        make_context(tmp_path),
    )
    assert out["row"] is None and out["size"] == 0


def test_deprecated_booleans_win_in_kestra_order(tmp_path):
    ctx = make_context(tmp_path)
    sql = "SELECT 42 AS answer"
    assert "rows" in run(
        QUERY, {"sql": sql, "store": True, "fetch": True, "fetchType": "NONE"}, ctx
    )
    assert "row" in run(QUERY, {"sql": sql, "store": True, "fetchOne": "true"}, ctx)
    assert "uri" in run(QUERY, {"sql": sql, "store": True, "fetchType": "FETCH"}, ctx)


def test_several_statements_give_the_last_result(tmp_path):
    sql = "CREATE TABLE t (x INT); INSERT INTO t VALUES (1), (2); SELECT sum(x) AS s FROM t;"
    out = run(QUERY, {"sql": sql, "fetchType": "FETCH_ONE"}, make_context(tmp_path))
    assert out["row"] == {"s": 3}


def test_a_statement_without_result_fetches_nothing(tmp_path):
    out = run(
        QUERY, {"sql": "CREATE TABLE t (x INT)", "fetchType": "FETCH"}, make_context(tmp_path)
    )
    assert out == {"outputFiles": {}}


# --------------------------------------------------------------------------- values


def test_values_convert_as_kestra(tmp_path):
    sql = """
        SELECT DATE '2024-01-15' AS d,
               TIMESTAMP '2024-01-15 10:00:00' AS ts,
               TIMESTAMPTZ '2024-01-15 10:00:00+02' AS tstz,
               TIME '10:00:01.5' AS t,
               12.50::DECIMAL(10, 2) AS dec,
               7::DECIMAL(10, 0) AS whole,
               INTERVAL 90 MINUTE AS iv,
               '00000000-0000-0000-0000-000000000001'::UUID AS u,
               'ab'::BLOB AS b,
               [1, 2] AS l,
               {'k': DATE '2024-01-16'} AS s,
               1.5::DOUBLE AS f,
               true AS flag
    """
    ctx = make_context(tmp_path)
    row = run(QUERY, {"sql": sql, "fetchType": "FETCH_ONE"}, ctx)["row"]
    assert row == {
        "d": "2024-01-15",
        "ts": "2024-01-15T10:00:00Z",
        "tstz": "2024-01-15T08:00:00Z",
        "t": "10:00:01.5",
        "dec": 12.5,
        "whole": 7,
        "iv": "PT1H30M",
        "u": "00000000-0000-0000-0000-000000000001",
        "b": "YWI=",
        "l": [1, 2],
        "s": {"k": "2024-01-16"},
        "f": 1.5,
        "flag": True,
    }
    out = run(QUERY, {"sql": sql, "fetchType": "STORE"}, ctx)
    text = ctx.storage.read_text(out["uri"])
    for fragment in (
        "d:2024-01-15,",
        'ts:ZonedDateTime::"2024-01-15T10:00:00Z"',
        'tstz:OffsetDateTime::"2024-01-15T08:00:00Z"',
        'LocalTime::"10:00:01.5"',
        "dec:12.50,",
        "b:{{YWI=}}",
        "f:1.5e0",
        "flag:true",
    ):
        assert fragment in text
    assert ion_rows(ctx, out["uri"])[0]["dec"] == 12.5


def test_time_zone_id_applies_to_naive_timestamps(tmp_path):
    props = {"sql": "SELECT TIMESTAMP '2024-07-01 10:00:00' AS ts", "timeZoneId": "Europe/Paris"}
    ctx = make_context(tmp_path)
    assert run(QUERY, {**props, "fetchType": "FETCH_ONE"}, ctx)["row"] == {
        "ts": "2024-07-01T10:00:00+02:00"
    }
    out = run(QUERY, {**props, "fetchType": "STORE"}, ctx)
    assert (
        ctx.storage.read_text(out["uri"])
        == '{ts:ZonedDateTime::"2024-07-01T10:00:00+02:00[Europe/Paris]"}\n'
    )
    with pytest.raises(TaskError, match="unknown time zone"):
        run(QUERY, {**props, "timeZoneId": "Mars/Olympus"}, ctx)


# --------------------------------------------------------------------------- files


def test_input_files_are_in_the_file_search_path(tmp_path):
    ctx = make_context(tmp_path)
    src = tmp_path / "src.csv"
    src.write_text("brand,price\nA,1\nA,3\nB,5\n")
    uri = ctx.put_file(src)
    ctx2 = make_context(tmp_path, storage=ctx.storage, variables={"u": uri})
    props = {
        "inputFiles": {"in.csv": "{{ u }}", "inline.csv": "x\n1\n2\n"},
        "sql": (
            "SELECT brand, avg(price) AS p FROM read_csv_auto('in.csv', header=True) "
            "WHERE price < (SELECT max(x) * 10 FROM 'inline.csv') "
            "GROUP BY brand ORDER BY brand"
        ),
        "fetchType": "FETCH",
    }
    assert run(QUERY, props, ctx2)["rows"] == [{"brand": "A", "p": 2.0}, {"brand": "B", "p": 5.0}]
    # {{ workingDir }} is the same directory
    props["sql"] = "SELECT count(*) AS n FROM read_csv_auto('{{ workingDir }}/in.csv')"
    assert run(
        QUERY,
        {**props, "fetchType": "FETCH_ONE"},
        make_context(tmp_path, storage=ctx.storage, variables={"u": uri}),
    )["row"] == {"n": 3}


def test_output_files_are_names_exposed_to_sql(tmp_path):
    ctx = make_context(tmp_path)
    props = {
        "sql": "COPY (SELECT 1 AS a, 'x' AS b) TO '{{ outputFiles.out }}' (HEADER, DELIMITER ',');",
        "outputFiles": ["out"],
    }
    out = run(QUERY, props, ctx)
    assert list(out["outputFiles"]) == ["out"]
    assert ctx.storage.read_text(out["outputFiles"]["out"]) == "a,b\n1,x\n"


def test_an_output_file_the_sql_did_not_write_fails(tmp_path):
    with pytest.raises(TaskError, match="outputFiles 'missing' was not written"):
        run(QUERY, {"sql": "SELECT 1", "outputFiles": ["missing"]}, make_context(tmp_path))
    with pytest.raises(TaskError, match="not a plain file name"):
        run(QUERY, {"sql": "SELECT 1", "outputFiles": ["../up"]}, make_context(tmp_path))


def test_output_db_file_and_database_uri_round_trip(tmp_path):
    ctx = make_context(tmp_path)
    props = {"sql": "CREATE TABLE t AS SELECT range AS x FROM range(5)", "outputDbFile": True}
    out = run(QUERY, props, ctx)
    assert out["databaseUri"].endswith(".db")
    ctx2 = make_context(tmp_path, storage=ctx.storage, variables={"db": out["databaseUri"]})
    props2 = {
        "databaseUri": "{{ db }}",
        "sql": "SELECT sum(x) AS s FROM t",
        "fetchType": "FETCH_ONE",
    }
    assert run(QUERY, props2, ctx2)["row"] == {"s": 10}


def test_url_forms(tmp_path):
    ctx = make_context(tmp_path)
    out = run(
        QUERY,
        {
            "url": "jdbc:duckdb:mine.db",
            "sql": "SELECT '{{ dbFilePath }}' AS p",
            "fetchType": "FETCH_ONE",
        },
        ctx,
    )
    assert out["row"]["p"] == str(ctx.working_dir() / "mine.db")
    assert (ctx.working_dir() / "mine.db").exists()
    out = run(
        QUERY,
        {"url": "jdbc:duckdb::memory:", "sql": "SELECT 1 AS one", "fetchType": "FETCH_ONE"},
        ctx,
    )
    assert out["row"] == {"one": 1}
    with pytest.raises(TaskError, match="outside the working directory"):
        run(QUERY, {"url": "jdbc:duckdb:../escape.db", "sql": "SELECT 1"}, ctx)
    assert not (ctx.working_dir().parent / "escape.db").exists()
    with pytest.raises(TaskError, match="not a DuckDB JDBC URL"):
        run(QUERY, {"url": "jdbc:postgresql://x/db", "sql": "SELECT 1"}, ctx)


def test_filename_column_is_made_relative(tmp_path):
    ctx = make_context(tmp_path)
    props = {
        "inputFiles": {"a.csv": "x\n1\n"},
        "sql": "SELECT x, filename FROM read_csv('a.csv', filename=true);",
        "fetchType": "FETCH",
    }
    assert run(QUERY, props, ctx)["rows"] == [{"x": 1, "filename": "a.csv"}]


# --------------------------------------------------------------------------- parameters


def test_named_parameters_bind_to_the_last_statement(tmp_path):
    ctx = make_context(tmp_path, variables={"limit": 3})
    props = {
        "sql": "CREATE TABLE t AS SELECT range AS x FROM range(10); "
        "SELECT count(*)::INT AS n, ':skip' AS lit FROM t WHERE x < :lim AND x::VARCHAR <> :not",
        "parameters": {"lim": "{{ limit }}", "not": "1"},
        "fetchType": "FETCH_ONE",
    }
    assert run(QUERY, props, ctx)["row"] == {"n": 2, "lit": ":skip"}


# --------------------------------------------------------------------------- errors, cancel


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        ("SELEC 1", "Parser Error"),
        ("SELECT * FROM no_such_table", "Catalog Error"),
        ("SELECT * FROM read_csv('absent.csv')", "absent.csv"),
        ("   ", "is empty"),
    ],
)
def test_bad_sql_fails_with_the_database_message(tmp_path, sql, fragment):
    with pytest.raises(TaskError, match=fragment):
        run(QUERY, {"sql": sql}, make_context(tmp_path))


def test_missing_sql_and_bad_fetch_type(tmp_path):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match="property 'sql' is required"):
        run(QUERY, {}, ctx)
    with pytest.raises(TaskError, match="must be one of FETCH_ONE, FETCH, STORE, NONE"):
        run(QUERY, {"sql": "SELECT 1", "fetchType": "ALL"}, ctx)


def test_cancel_interrupts_a_long_query(tmp_path):
    ctx = make_context(tmp_path)
    threading.Timer(0.5, ctx.cancel.set).start()
    started = time.monotonic()
    sql = (
        "SELECT count(*) FROM range(1000000000) a, range(1000000000) b WHERE a.range + b.range = -1"
    )
    with pytest.raises(TaskError, match="interrupted"):
        run(QUERY, {"sql": sql, "fetchType": "FETCH_ONE"}, ctx)
    assert time.monotonic() - started < 10


# --------------------------------------------------------------------------- Queries


def test_queries_return_one_output_per_result(tmp_path):
    ctx = make_context(tmp_path)
    sql = (
        "CREATE TABLE t AS SELECT range AS x FROM range(4);"
        "SELECT count(*) AS n FROM t;"
        "INSERT INTO t VALUES (10);"
        "SELECT max(x) AS m FROM t;"
    )
    out = run(QUERIES, {"sql": sql, "fetchType": "FETCH_ONE"}, ctx)
    assert out["outputs"] == [{"row": {"n": 4}, "size": 1}, {"row": {"m": 10}, "size": 1}]


def test_queries_roll_back_on_error(tmp_path):
    ctx = make_context(tmp_path)
    props = {
        "url": "jdbc:duckdb:state.db",
        "sql": "CREATE TABLE t (x INT); INSERT INTO t VALUES (1); SELECT * FROM missing;",
    }
    with pytest.raises(TaskError, match="Catalog Error"):
        run(QUERIES, props, ctx)
    ctx2 = make_context(tmp_path)
    import duckdb

    con = duckdb.connect(str(ctx.working_dir() / "state.db"))
    try:
        assert con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 't'"
        ).fetchone() == (0,)
    finally:
        con.close()
    assert ctx2 is not None


def test_queries_bind_parameters_statement_by_statement(tmp_path):
    props = {
        "sql": "SELECT :a::INT AS first; SELECT :b::INT + :a::INT AS second;",
        "parameters": {"a": 1, "b": 2},
        "fetchType": "FETCH_ONE",
    }
    out = run(QUERIES, props, make_context(tmp_path))
    assert [o["row"] for o in out["outputs"]] == [{"first": 1}, {"second": 3}]


def test_duckdb_input_files_cannot_leave_the_working_directory(tmp_path):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match="outside the working directory"):
        run(QUERY, {"inputFiles": {"../evil.csv": "a\n1\n"}, "sql": "SELECT 1"}, ctx)
    assert not (ctx.working_dir().parent / "evil.csv").exists()
