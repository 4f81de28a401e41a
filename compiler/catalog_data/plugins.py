"""The most used non-core plugins of the corpus (see docs/catalog.md for the counts).

Their property lists are not all established with confidence, so these types are
``closed=False`` (unknown properties are not reported) but they declare their
required properties and outputs. ``outputs_open`` stays True where the output
class could not be read.

Sources: kestra-io/plugin-gcp, plugin-aws, plugin-fs, plugin-serdes, plugin-git,
plugin-notifications (Output classes, @NotNull fields, @Plugin aliases); for the
others the plugin documentation and the corpus.
"""

from __future__ import annotations

from compiler.catalog_data._dsl import O, P, T

PLUGIN = "io.kestra.plugin"

SCRIPT_LIKE_OUTPUTS = (
    O("exitCode"),
    O("vars", open=True),
    O("outputFiles", open=True),
    O("taskRunner", open=True),
)
# CLI tasks that run commands in a task runner (AbstractExecScript-like).
CLI_PROPS = (
    P("commands", "list", req=True),
    P("beforeCommands", "list"),
    P("env", "map"),
    P("containerImage", "string"),
    P("taskRunner", "object", dyn=False),
    P("inputFiles", "any"),
    P("outputFiles", "list"),
    P("namespaceFiles", "object"),
    P("docker", "object", dep=True),
)


def _cli(type_name: str, *extra, family: str = "script", outputs_open: bool = False):
    return T(
        type_name,
        (*CLI_PROPS, *extra),
        SCRIPT_LIKE_OUTPUTS,
        family=family,
        closed=False,
        outputs_open=outputs_open,
        output_files="globs",
    )


GCP = (
    T(
        f"{PLUGIN}.gcp.bigquery.Query",
        (
            P("sql", "string"),
            P("projectId", "string"),
            P("serviceAccount", "string"),
            P("fetchType", "string", default="NONE"),
            P("fetch", "boolean", default=False, dep=True),
            P("fetchOne", "boolean", default=False, dep=True),
            P("store", "boolean", default=False, dep=True),
            P("legacySql", "boolean", default=False),
            P("destinationTable", "string"),
            P("writeDisposition", "string"),
        ),
        (
            O("jobId"),
            O("destinationTable", open=True),
            O("row", when={"fetchType": ("FETCH_ONE",)}, open=True),
            O("rows", when={"fetchType": ("FETCH",)}),
            O("uri", when={"fetchType": ("STORE",)}),
            O("size", when={"fetchType": ("FETCH_ONE", "FETCH", "STORE")}),
        ),
        family="sql",
        closed=False,
    ),
    T(
        f"{PLUGIN}.gcp.bigquery.Load",
        (
            P("from", "string", req=True),
            P("destinationTable", "string", req=True),
            P("format", "string"),
        ),
        (O("jobId"), O("destinationTable"), O("rows")),
        family="sql",
        closed=False,
    ),
    T(
        f"{PLUGIN}.gcp.bigquery.LoadFromGcs",
        (
            P("from", "list", req=True),
            P("destinationTable", "string", req=True),
            P("format", "string"),
        ),
        (O("jobId"), O("destinationTable"), O("rows")),
        family="sql",
        closed=False,
    ),
    T(
        f"{PLUGIN}.gcp.bigquery.CreateDataset",
        (P("name", "string", req=True),),
        family="sql",
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.gcp.gcs.Upload",
        (P("from", "string", req=True), P("to", "string", req=True)),
        (O("uri"), O("md5"), O("crc32c")),
        family="storage",
        closed=False,
    ),
    T(
        f"{PLUGIN}.gcp.gcs.CreateBucket",
        (P("name", "string", req=True),),
        family="storage",
        closed=False,
        outputs_open=True,
    ),
)

AWS = (
    T(
        f"{PLUGIN}.aws.s3.Upload",
        (P("from", "any", req=True), P("key", "string", req=True), P("bucket", "string")),
        (O("bucket"), O("key"), O("files", open=True), O("eTag"), O("versionId")),
        family="storage",
        closed=False,
    ),
    T(
        f"{PLUGIN}.aws.s3.Download",
        (P("bucket", "string"), P("key", "string")),
        (
            O("uri"),
            O("contentLength"),
            O("contentType"),
            O("metadata", open=True),
            O("files", open=True),
            O("checksumAlgorithm"),
            O("checksumValue"),
            O("eTag"),
            O("versionId"),
        ),
        family="storage",
        closed=False,
    ),
    T(
        f"{PLUGIN}.aws.athena.Query",
        (
            P("database", "string", req=True),
            P("outputLocation", "string", req=True),
            P("query", "string", req=True),
        ),
        (O("queryExecutionId"), O("rows"), O("row", open=True), O("uri"), O("size")),
        family="sql",
        closed=False,
    ),
    T(
        f"{PLUGIN}.aws.dynamodb.PutItem",
        (P("tableName", "string", req=True), P("item", "map")),
        family="other",
        closed=False,
        outputs_open=True,
    ),
    _cli(f"{PLUGIN}.aws.cli.AwsCLI", P("outputFormat", "string")),
)

FS = (
    T(
        f"{PLUGIN}.fs.ssh.Command",
        (
            P("host", "string", req=True),
            P("commands", "list", req=True),
            P("port", "string", default="22"),
            P("username", "string"),
            P("password", "string"),
            P("authMethod", "string", default="PASSWORD"),
            P("privateKey", "string"),
        ),
        (O("vars", open=True), O("exitCode"), O("stdOutLineCount"), O("stdErrLineCount")),
        family="script",
        closed=False,
    ),
)

GIT = (
    T(
        f"{PLUGIN}.git.Clone",
        (P("url", "string", req=True), P("branch", "string"), P("directory", "string")),
        family="other",
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.git.SyncNamespaceFiles",
        (P("url", "string", req=True),),
        (O("files", open=True),),
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.git.PushFlows",
        (P("url", "string", req=True),),
        (O("flows", open=True),),
        closed=False,
        outputs_open=True,
    ),
    T(f"{PLUGIN}.git.SyncFlows", (P("url", "string", req=True),), closed=False, outputs_open=True),
)

# plugin-serdes: canonical IonToX/XToIon names, the old names are @Plugin aliases.
SERDES_PAIRS = (
    ("avro.IonToAvro", "avro.AvroWriter"),
    ("avro.AvroToIon", "avro.AvroReader"),
    ("csv.IonToCsv", "csv.CsvWriter"),
    ("csv.CsvToIon", "csv.CsvReader"),
    ("json.IonToJson", "json.JsonWriter"),
    ("json.JsonToIon", "json.JsonReader"),
    ("parquet.IonToParquet", "parquet.ParquetWriter"),
    ("parquet.ParquetToIon", "parquet.ParquetReader"),
    ("xml.IonToXml", "xml.XmlWriter"),
    ("xml.XmlToIon", "xml.XmlReader"),
)
SERDES = tuple(
    T(
        f"{PLUGIN}.serdes.{name}",
        (P("from", "string", req=True),),
        (O("uri"), O("size")),
        aliases=(f"{PLUGIN}.serdes.{alias}",),
        family="storage",
        closed=False,
    )
    for name, alias in SERDES_PAIRS
)

NOTIFICATIONS = (
    T(
        f"{PLUGIN}.notifications.slack.SlackIncomingWebhook",
        (P("url", "string", req=True), P("payload", "string"), P("messageText", "string")),
        family="http",
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.slack.notifications.SlackIncomingWebhook",
        (P("url", "string", req=True), P("payload", "string"), P("messageText", "string")),
        family="http",
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.notifications.slack.SlackExecution",
        (P("url", "string", req=True), P("channel", "string"), P("executionId", "string")),
        family="http",
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.notifications.discord.DiscordExecution",
        (P("url", "string", req=True), P("executionId", "string")),
        family="http",
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.notifications.sendgrid.SendGridMailSend",
        (
            P("sendgridApiKey", "string", req=True),
            P("from", "string", req=True),
            P("to", "list", req=True),
            P("subject", "string"),
            P("htmlContent", "string"),
            P("textContent", "string"),
        ),
        (O("body"), O("headers", open=True), O("statusCode")),
        family="http",
        closed=False,
    ),
    T(
        f"{PLUGIN}.notifications.mail.MailSend",
        (P("to", "string"), P("from", "string"), P("subject", "string"), P("host", "string")),
        family="http",
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.email.MailSend",
        (P("to", "any"), P("from", "string"), P("subject", "string"), P("host", "string")),
        family="http",
        closed=False,
        outputs_open=True,
    ),
)

# Plugins whose sources were not read here: outputs known from their docs, kept open.
OTHERS = (
    T(
        f"{PLUGIN}.fivetran.connectors.Sync",
        (P("connectorId", "string", req=True), P("apiKey", "string"), P("apiSecret", "string")),
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.airbyte.cloud.jobs.Sync",
        (P("connectionId", "string", req=True), P("token", "string")),
        (O("jobId"),),
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.airbyte.connections.Sync",
        (P("connectionId", "string", req=True), P("url", "string"), P("wait", "boolean")),
        (O("jobId"),),
        closed=False,
        outputs_open=True,
    ),
    _cli(
        f"{PLUGIN}.dbt.cli.DbtCLI",
        P("profiles", "any"),
        P("projectDir", "string"),
        P("storeManifest", "object"),
        P("loadManifest", "object"),
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.dbt.cli.Build",
        (P("dbtPath", "string"), P("inputFiles", "any")),
        SCRIPT_LIKE_OUTPUTS,
        family="script",
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.dbt.cloud.TriggerRun",
        (
            P("jobId", "string", req=True),
            P("accountId", "string"),
            P("token", "string"),
            P("wait", "boolean"),
        ),
        (O("runId"), O("runResults"), O("manifest")),
        closed=False,
        outputs_open=True,
    ),
    _cli(f"{PLUGIN}.terraform.cli.TerraformCLI"),
    T(
        f"{PLUGIN}.docker.Run",
        (P("containerImage", "string", req=True), P("commands", "list"), P("wait", "boolean")),
        SCRIPT_LIKE_OUTPUTS,
        family="script",
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.docker.cli.Run",
        (P("commands", "list", req=True),),
        SCRIPT_LIKE_OUTPUTS,
        family="script",
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.ai.agent.AIAgent",
        (
            P("prompt", "string", req=True),
            P("provider", "object", req=True),
            P("systemMessage", "string"),
            P("tools", "list"),
        ),
        (O("textOutput"), O("toolExecutions"), O("tokenUsage", open=True), O("finishReason")),
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.openai.ChatCompletion",
        (
            P("apiKey", "string", req=True),
            P("model", "string", req=True),
            P("messages", "list"),
            P("prompt", "string"),
        ),
        (O("choices"), O("id"), O("model"), O("object"), O("usage", open=True)),
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.surrealdb.Query",
        (P("query", "string", req=True), P("fetchType", "string")),
        (O("row", open=True), O("rows"), O("uri"), O("size")),
        family="sql",
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.minio.Upload",
        (P("from", "any", req=True), P("key", "string", req=True), P("bucket", "string")),
        (O("bucket"), O("key")),
        family="storage",
        closed=False,
        outputs_open=True,
    ),
    T(
        f"{PLUGIN}.compress.ArchiveDecompress",
        (P("from", "string", req=True), P("algorithm", "string", req=True)),
        (O("files", open=True),),
        family="storage",
        closed=False,
    ),
    T(
        f"{PLUGIN}.compress.ArchiveCompress",
        (P("from", "any", req=True), P("algorithm", "string", req=True)),
        (O("uri"),),
        family="storage",
        closed=False,
    ),
    T(
        f"{PLUGIN}.compress.FileCompress",
        (P("from", "string", req=True), P("compression", "string", req=True)),
        (O("uri"),),
        family="storage",
        closed=False,
    ),
    T(
        f"{PLUGIN}.compress.FileDecompress",
        (P("from", "string", req=True), P("compression", "string", req=True)),
        (O("uri"),),
        family="storage",
        closed=False,
    ),
    T(
        f"{PLUGIN}.core.storage.PurgeStorage",
        (
            P("namespace", "string"),
            P("flowId", "string"),
            P("endDate", "string"),
            P("dryRun", "boolean"),
        ),
        (O("scannedCount"), O("purgedCount"), O("deletedFilesCount")),
        family="storage",
        closed=False,
        outputs_open=True,
    ),
)

TYPES = (*GCP, *AWS, *FS, *GIT, *SERDES, *NOTIFICATIONS, *OTHERS)
