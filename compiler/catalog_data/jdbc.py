"""JDBC plugins: ``io.kestra.plugin.jdbc.<db>.*`` (kestra-io/plugin-jdbc).

Sources: ``plugin-jdbc/.../AbstractJdbcBaseQuery.java`` (properties, the Output class,
``renderFetchType``), ``AbstractJdbcQueries.java`` (MultiQueryOutput), ``AbstractJdbcBatch.java``,
``AbstractJdbcTrigger.java``, each driver module's Query/Queries/Batch/Trigger, and
``plugin-jdbc-duckdb/.../Query.java``; KESTRA.md §2.7.
"""

from __future__ import annotations

from compiler.catalog_data._dsl import O, P, T

JDBC = "io.kestra.plugin.jdbc"

CONNECTION = (
    P("url", "string"),
    P("username", "string"),
    P("password", "string"),
    P("timeZoneId", "string"),
    P("connectionPooling", "boolean", default=True),
    P("connectionPoolSize", "integer", default=10),
)

# AbstractJdbcBaseQuery. fetchType is @NotNull but has a default, so it is not required.
QUERY_PROPS = (
    *CONNECTION,
    P("sql", "string", req=True),
    P("afterSQL", "string"),
    P("fetchType", "string", default="NONE", desc="FETCH_ONE, FETCH, STORE or NONE"),
    P("fetchSize", "integer", default=10000),
    P("parameters", "map"),
    P("outputFiles", "list", desc="names; paths exposed to sql as {{ outputFiles.<name> }}"),
    P("fetch", "boolean", default=False, dep=True, desc="use fetchType: FETCH"),
    P("fetchOne", "boolean", default=False, dep=True, desc="use fetchType: FETCH_ONE"),
    P("store", "boolean", default=False, dep=True, desc="use fetchType: STORE"),
    P("autoCommit", "boolean", dep=True, desc="removed from plugin-jdbc in 2025"),
)

FETCHING = ("FETCH_ONE", "FETCH", "STORE")
QUERY_OUTPUTS = (
    O("row", when={"fetchType": ("FETCH_ONE",)}, open=True, desc="the first row"),
    O("rows", when={"fetchType": ("FETCH",)}, desc="all rows, a list of maps"),
    O("uri", when={"fetchType": ("STORE",)}, desc="kestra:// URI of an Ion file, one row per line"),
    O("size", when={"fetchType": FETCHING}, desc="number of rows fetched"),
)

# AbstractJdbcQueries: one Output per statement under `outputs`.
QUERIES_PROPS = (*QUERY_PROPS, P("transaction", "boolean", default=True))
QUERIES_OUTPUTS = (O("outputs", open=True, desc="a list: one {row|rows|uri, size} per statement"),)

# Drivers that run in-process and can hand files back.
EMBEDDED_OUTPUTS = (
    O("outputFiles", open=True),
    O("databaseUri", when={"outputDbFile": (True,)}, desc="kestra:// URI of the database file"),
)

BATCH_PROPS = (
    *CONNECTION,
    P("from", "string", req=True),
    P("sql", "string"),
    P("chunk", "integer", default=1000),
    P("columns", "list"),
    P("table", "string"),
    P("maxRetries", "integer", default=3),
    P("retryBackoff", "duration", default="PT1S"),
    P("inputHandling", "string", default="AUTO"),
    P("localBufferMaxBytes", "integer"),
    P("resumeOnRetry", "boolean", default=True),
    P("retryScope", "string", default="INPUT"),
)
BATCH_OUTPUTS = (O("rowCount"), O("updatedCount"))

TRIGGER_PROPS = (
    *(p for p in QUERY_PROPS if p.name not in {"fetchType", "outputFiles", "autoCommit"}),
    P("fetchType", "string", default="FETCH"),
    P("interval", "duration", default="PT60S", dyn=False),
)

# Per-driver extra properties (from each driver's *Interface / task classes).
POSTGRES_SSL = (
    P("ssl", "boolean", default=False),
    P("sslMode", "string"),
    P("sslRootCert", "string"),
    P("sslCert", "string"),
    P("sslKey", "string"),
    P("sslKeyPassword", "string"),
)
SNOWFLAKE = (
    P("privateKey", "string"),
    P("privateKeyPassword", "string"),
    P("database", "string"),
    P("warehouse", "string"),
    P("schema", "string"),
    P("role", "string"),
    P("queryTag", "string"),
)
SQLSERVER = (
    P("encrypt", "boolean"),
    P("hostNameInCertificate", "string"),
    P("trustServerCertificate", "boolean"),
    P("trustStore", "string"),
    P("trustStorePassword", "string"),
)
DUCKDB = (
    P("url", "string", default="jdbc:duckdb:"),
    P("inputFiles", "any"),
    P("databaseUri", "string"),
    P("outputDbFile", "boolean", default=False),
    P("communityExtensions", "list"),
)
SQLITE = (P("sqliteFile", "string"), P("outputDbFile", "boolean", default=False))
ACCESS = (
    P("accessFile", "string"),
    P("newDatabaseVersion", "string"),
    P("outputDbFile", "boolean", default=False),
)
MYSQL = (P("inputFile", "string"),)

# driver -> (extra props, has Batch, has Queries, embedded)
DRIVERS: dict[str, tuple[tuple, bool, bool, bool]] = {
    "access": (ACCESS, True, True, True),
    "actianvector": ((), True, True, False),
    "arrowflight": ((), False, True, False),
    "as400": ((), False, True, False),
    "clickhouse": ((), False, True, False),
    "db2": ((), False, True, False),
    "dremio": ((), False, True, False),
    "druid": ((), False, True, False),
    "duckdb": (DUCKDB, False, True, True),
    "hana": ((), False, True, False),
    "mariadb": (MYSQL, False, True, False),
    "mysql": (MYSQL, True, True, False),
    "oracle": ((), True, True, False),
    "pinot": ((), False, True, False),
    "postgresql": (POSTGRES_SSL, True, True, False),
    "redshift": ((), False, True, False),
    "snowflake": (SNOWFLAKE, False, True, False),
    "sqlite": (SQLITE, False, True, True),
    "sqlserver": (SQLSERVER, True, True, False),
    "sybase": ((), False, True, False),
    "trino": ((), False, False, False),
    "vertica": ((), True, True, False),
}


def _driver(name: str, extra: tuple, batch: bool, queries: bool, embedded: bool):
    out_files = "names" if embedded else None
    trigger_extra = tuple(p for p in extra if p.name != "newDatabaseVersion")
    yield T(
        f"{JDBC}.{name}.Query",
        (*QUERY_PROPS, *extra),
        (*QUERY_OUTPUTS, *(EMBEDDED_OUTPUTS if embedded else ())),
        family="sql",
        output_files=out_files,
    )
    if queries:
        yield T(
            f"{JDBC}.{name}.Queries",
            (*QUERIES_PROPS, *extra),
            (*QUERIES_OUTPUTS, *(EMBEDDED_OUTPUTS if embedded else ())),
            family="sql",
            output_files=out_files,
        )
    if batch:
        yield T(f"{JDBC}.{name}.Batch", (*BATCH_PROPS, *extra), BATCH_OUTPUTS, family="sql")
    yield T(
        f"{JDBC}.{name}.Trigger",
        (*TRIGGER_PROPS, *trigger_extra),
        (*QUERY_OUTPUTS,),
        kind="trigger",
        family="sql",
    )


COPY_PROPS = (
    P("url", "string"),
    P("username", "string"),
    P("password", "string"),
    *POSTGRES_SSL,
    P("table", "string"),
    P("columns", "list"),
    P("format", "string", default="TEXT"),
    P("oids", "boolean"),
    P("freeze", "boolean"),
    P("delimiter", "string"),
    P("nullString", "string"),
    P("header", "boolean"),
    P("quote", "string"),
    P("escape", "string"),
    P("forceQuote", "list"),
    P("forceNotNull", "list"),
    P("forceNull", "list"),
    P("encoding", "string"),
    P("socketTimeout", "integer"),
)
SNOWFLAKE_STAGE = (
    P("url", "string"),
    P("username", "string"),
    P("password", "string"),
    *SNOWFLAKE,
    P("stageName", "string", req=True),
    P("fileName", "string", req=True),
    P("compress", "boolean", default=True),
)

OTHERS = (
    T(
        f"{JDBC}.postgresql.CopyIn",
        (*COPY_PROPS, P("from", "string", req=True)),
        (O("rowCount"),),
        family="sql",
    ),
    T(
        f"{JDBC}.postgresql.CopyOut",
        (*COPY_PROPS, P("sql", "string")),
        (O("uri"), O("rowCount")),
        family="sql",
    ),
    T(
        f"{JDBC}.snowflake.Upload",
        (*SNOWFLAKE_STAGE, P("from", "string", req=True), P("prefix", "string", req=True)),
        (O("uri"),),
        family="sql",
    ),
    T(f"{JDBC}.snowflake.Download", SNOWFLAKE_STAGE, (O("uri"),), family="sql"),
    T(f"{JDBC}.clickhouse.BulkInsert", BATCH_PROPS, BATCH_OUTPUTS, family="sql"),
)

TYPES = (*(t for name, spec in DRIVERS.items() for t in _driver(name, *spec)), *OTHERS)
