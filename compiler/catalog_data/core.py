"""Core plugin types: ``io.kestra.plugin.core.*`` and their legacy aliases.

Source: kestra-io/kestra ``core/src/main/java/io/kestra/plugin/core/**`` (0.21 snapshot,
1.0 and develop), the ``@Plugin(aliases=...)`` annotations and KESTRA.md §2.
"""

from __future__ import annotations

from compiler.catalog_data._dsl import O, P, T

CORE = "io.kestra.plugin.core"
LEGACY = "io.kestra.core.tasks"

# Fields of a flowable that hold nested tasks (errors/finally are local handlers).
ERRORS_FINALLY = (P("errors", "tasks", dyn=False), P("finally", "tasks", dyn=False))

# --------------------------------------------------------------------------- http
# AbstractHttp.java + HttpConfiguration
HTTP_PROPS = (
    P("uri", "string", req=True),
    P("method", "string", default="GET"),
    P("body", "string"),
    P("formData", "map"),
    P("contentType", "string", default="application/json"),
    P("headers", "map"),
    P("options", "object", desc="timeout, auth, proxy, ssl, followRedirects, allowFailed, ..."),
    P("sslOptions", "object", dep=True, desc="use options.ssl"),
    P("allowFailed", "boolean", default=False, dep=True, desc="use options.allowFailed"),
)

HTTP = (
    T(
        f"{CORE}.http.Request",
        (*HTTP_PROPS, P("encryptBody", "boolean", default=False)),
        (
            O("uri", desc="the request URL"),
            O("code", desc="the response status code"),
            O("headers", open=True, desc="map of lists: headers['content-type'][0]"),
            O("body", when={"encryptBody": (False,)}, desc="the response body as a string"),
            O("encryptedBody", when={"encryptBody": (True,)}, desc="the encrypted response body"),
            O("formData", open=True, desc="the form data sent"),
        ),
        aliases=("io.kestra.plugin.fs.http.Request",),
        family="http",
    ),
    T(
        f"{CORE}.http.Download",
        (*HTTP_PROPS, P("failOnEmptyResponse", "boolean", default=True)),
        (
            O("uri", desc="kestra:// URI of the downloaded file"),
            O("code"),
            O("length", desc="size in bytes"),
            O("headers", open=True),
        ),
        aliases=("io.kestra.plugin.fs.http.Download",),
        family="http",
    ),
    T(
        f"{CORE}.http.Trigger",
        (
            *HTTP_PROPS,
            P("encryptBody", "boolean", default=False),
            P("responseCondition", "string", default="{{ response.statusCode < 400 }}"),
            P("interval", "duration", default="PT60S", dyn=False),
        ),
        (O("uri"), O("code"), O("headers", open=True), O("body"), O("encryptedBody")),
        aliases=("io.kestra.plugin.fs.http.Trigger",),
        kind="trigger",
        family="http",
    ),
    T(
        f"{CORE}.http.SseRequest",
        (P("uri", "string", req=True),),
        kind="runnable",
        family="http",
        closed=False,
        outputs_open=True,
    ),
)

# --------------------------------------------------------------------------- log / debug / output
LOG = (
    T(
        f"{CORE}.log.Log",
        (
            P("message", "any", req=True, desc="a string or a list of strings"),
            P("level", "string", default="INFO"),
        ),
        aliases=(f"{LEGACY}.log.Log",),
        family="log",
    ),
    T(
        f"{CORE}.log.Fetch",
        (
            P("namespace", "string"),
            P("flowId", "string"),
            P("executionId", "string"),
            P("tasksId", "list"),
            P("level", "string", default="INFO"),
        ),
        (O("size"), O("uri")),
        aliases=(f"{LEGACY}.log.Fetch",),
        family="log",
    ),
    T(
        f"{CORE}.log.PurgeLogs",
        (
            P("namespace", "string"),
            P("flowId", "string"),
            P("logLevels", "list"),
            P("startDate", "string"),
            P("endDate", "string", req=True),
            P("purgeExecutionLogs", "boolean", default=True),
            P("purgeNonExecutionLogs", "boolean", default=True),
        ),
        (O("count"),),
        family="log",
    ),
    T(
        f"{CORE}.debug.Return",
        (P("format", "string"),),
        (O("value", desc="the rendered format; absent when format is not set"),),
        aliases=(f"{LEGACY}.debugs.Return",),
    ),
    T(
        f"{CORE}.debug.Echo",
        (P("format", "string", req=True), P("level", "string", default="INFO")),
        aliases=(f"{LEGACY}.debugs.Echo",),
        family="log",
    ),
    T(
        f"{CORE}.output.OutputValues",
        (P("values", "map"),),
        (O("values", open=True),),
    ),
)

# --------------------------------------------------------------------------- execution
EXECUTION = (
    T(
        f"{CORE}.execution.Fail",
        (P("condition", "string"), P("errorMessage", "string", default="Task failure")),
        aliases=(f"{LEGACY}.executions.Fail",),
        family="flow-control",
    ),
    T(
        f"{CORE}.execution.Assert",
        (P("conditions", "list", req=True), P("errorMessage", "string")),
        family="flow-control",
    ),
    T(
        f"{CORE}.execution.Exit",
        (
            P(
                "state",
                "string",
                default="SUCCESS",
                desc="SUCCESS, WARNING, KILLED, FAILED or CANCELED",
            ),
        ),
        family="flow-control",
    ),
    T(
        f"{CORE}.execution.Labels",
        (P("labels", "any", req=True, desc="a map or a list of {key, value}"),),
        aliases=(f"{LEGACY}.executions.Labels",),
    ),
    T(
        f"{CORE}.execution.Count",
        (
            P("flows", "list"),
            P("states", "list"),
            P("startDate", "string", req=True),
            P("endDate", "string"),
            P("expression", "string", req=True),
            P("namespaces", "list"),
        ),
        (O("results", open=True), O("total")),
        aliases=(f"{LEGACY}.executions.Counts",),
    ),
    T(
        f"{CORE}.execution.PurgeExecutions",
        (
            P("namespace", "string"),
            P("flowId", "string"),
            P("startDate", "string"),
            P("endDate", "string", req=True),
            P("states", "list"),
            P("purgeExecution", "boolean", default=True),
            P("purgeLog", "boolean", default=True),
            P("purgeMetric", "boolean", default=True),
            P("purgeStorage", "boolean", default=True),
            P("batchSize", "integer"),
        ),
        (O("executionsCount"), O("logsCount"), O("storagesCount"), O("metricsCount")),
        aliases=(f"{LEGACY}.storages.Purge", f"{CORE}.storage.Purge"),
    ),
    T(
        f"{CORE}.execution.Resume",
        (
            P("namespace", "string"),
            P("flowId", "string"),
            P("executionId", "string"),
            P("inputs", "map"),
        ),
        family="flow-control",
    ),
    T(
        f"{CORE}.execution.SetVariables",
        (P("variables", "map", req=True), P("overwrite", "boolean", default=True)),
    ),
    T(
        f"{CORE}.execution.UnsetVariables",
        (P("variables", "list", req=True), P("ignoreMissing", "boolean", default=False)),
    ),
)

# --------------------------------------------------------------------------- flow
SUBFLOW_PROPS = (
    P("namespace", "string", req=True),
    P("flowId", "string", req=True),
    P("revision", "integer", dyn=False),
    P("inputs", "map"),
    P("labels", "any"),
    P("wait", "boolean", default=True, dyn=False),
    P("transmitFailed", "boolean", default=True, dyn=False),
    P("inheritLabels", "boolean", default=False),
    P("scheduleDate", "string"),
    P("restartBehavior", "string", default="RETRY_FAILED", dyn=False),
)

TASKS_REQ = P("tasks", "tasks", req=True, dyn=False)
SEQ_CHILDREN = ("tasks", "errors", "finally")

FLOW = (
    T(
        f"{CORE}.flow.Sequential",
        (TASKS_REQ, *ERRORS_FINALLY),
        aliases=(f"{LEGACY}.flows.Sequential",),
        kind="flowable",
        family="flowable",
        children=SEQ_CHILDREN,
    ),
    T(
        f"{CORE}.flow.Parallel",
        (TASKS_REQ, P("concurrent", "integer", default=0), *ERRORS_FINALLY),
        aliases=(f"{LEGACY}.flows.Parallel",),
        kind="flowable",
        family="flowable",
        children=SEQ_CHILDREN,
    ),
    T(
        f"{CORE}.flow.If",
        (
            P("condition", "string", req=True),
            P("then", "tasks", req=True, dyn=False),
            P("else", "tasks", dyn=False),
            *ERRORS_FINALLY,
        ),
        (O("evaluationResult", desc="the condition's truth value"),),
        aliases=(f"{LEGACY}.flows.If",),
        kind="flowable",
        family="flowable",
        children=("then", "else", "errors", "finally"),
    ),
    T(
        f"{CORE}.flow.Switch",
        (
            P("value", "string", req=True),
            P("cases", "map", dyn=False, desc="map of case value to a list of tasks"),
            P("defaults", "tasks", dyn=False),
            *ERRORS_FINALLY,
        ),
        (O("value", desc="the rendered value"), O("defaults", desc="true when no case matched")),
        aliases=(f"{LEGACY}.flows.Switch",),
        kind="flowable",
        family="flowable",
        children=("cases", "defaults", "errors", "finally"),
    ),
    T(
        f"{CORE}.flow.ForEach",
        (
            P("values", "any", req=True, desc="a list, or a string rendering to a JSON array"),
            P("concurrencyLimit", "integer", default=1, dyn=False),
            TASKS_REQ,
            *ERRORS_FINALLY,
        ),
        kind="flowable",
        family="flowable",
        children=SEQ_CHILDREN,
    ),
    T(
        f"{CORE}.flow.Loop",
        (
            P("values", "any", req=True),
            P("concurrencyLimit", "integer", default=0, dyn=False),
            P("transmitFailed", "boolean", default=True, dyn=False),
            P("outputs", "list", desc="outputs exposed outside the loop"),
            P("fetchType", "string", default="AUTO", dyn=False),
            P("breakWhen", "string"),
            TASKS_REQ,
            *ERRORS_FINALLY,
        ),
        (
            O("iterationCount"),
            O("runningIterations"),
            O("terminatedIterations"),
            O("nextOffset"),
            O("outputs", open=True, desc="list of per-iteration outputs"),
        ),
        kind="flowable",
        family="flowable",
        children=SEQ_CHILDREN,
    ),
    T(
        f"{CORE}.flow.ForEachItem",
        (
            P("items", "string", req=True, desc="kestra:// URI of the file to split"),
            P("batch", "object", dyn=False, desc="rows, bytes, partitions, separator"),
            *SUBFLOW_PROPS,
            *ERRORS_FINALLY,
        ),
        (O("iterations", open=True), O("numberOfBatches"), O("uri")),
        aliases=(f"{LEGACY}.flows.ForEachItem",),
        kind="flowable",
        family="subflow",
        children=("errors", "finally"),
    ),
    T(
        f"{CORE}.flow.Dag",
        (
            P("tasks", "list", req=True, dyn=False, desc="list of {task, dependsOn}"),
            P("concurrent", "integer", default=0),
            *ERRORS_FINALLY,
        ),
        aliases=(f"{LEGACY}.flows.Dag",),
        kind="flowable",
        family="flowable",
        children=SEQ_CHILDREN,
    ),
    T(
        f"{CORE}.flow.WorkingDirectory",
        (
            TASKS_REQ,
            P("cache", "object", dyn=False),
            P("namespaceFiles", "object"),
            P("inputFiles", "any"),
            P("outputFiles", "list"),
            *ERRORS_FINALLY,
        ),
        (O("outputFiles", open=True),),
        aliases=(f"{LEGACY}.flows.WorkingDirectory", f"{LEGACY}.flows.Worker"),
        kind="flowable",
        family="flowable",
        children=SEQ_CHILDREN,
        output_files="globs",
    ),
    T(
        f"{CORE}.flow.Subflow",
        (*SUBFLOW_PROPS, P("outputs", "map", dep=True, desc="deprecated since 0.15")),
        (
            O("executionId"),
            O("state", desc="the child execution's final state"),
            O(
                "outputs",
                open=True,
                when={"wait": (True,)},
                desc="the child flow's declared outputs",
            ),
        ),
        aliases=(f"{LEGACY}.flows.Subflow", f"{LEGACY}.flows.Flow"),
        family="subflow",
    ),
    T(
        f"{CORE}.flow.Sleep",
        (P("duration", "duration", req=True),),
        family="flow-control",
    ),
    T(
        f"{CORE}.flow.Pause",
        (
            P("pauseDuration", "duration"),
            P("delay", "duration", dep=True, desc="use pauseDuration"),
            P("behavior", "string", default="RESUME", desc="RESUME, WARN, FAIL or CANCEL"),
            P("onResume", "list", dyn=False, desc="inputs asked on resume"),
            P("onPause", "task", dyn=False, desc="a task run when the pause starts (develop)"),
            P("tasks", "tasks", dyn=False, dep=True),
            *ERRORS_FINALLY,
        ),
        (O("onResume", open=True),),
        aliases=(f"{LEGACY}.flows.Pause",),
        kind="flowable",
        family="flow-control",
        children=("tasks", "onPause", "errors", "finally"),
    ),
    T(
        f"{CORE}.flow.LoopUntil",
        (
            P("condition", "string", req=True),
            P("checkFrequency", "object", dyn=False, desc="maxIterations, maxDuration, interval"),
            P("failOnMaxReached", "boolean", default=False),
            TASKS_REQ,
            *ERRORS_FINALLY,
        ),
        (O("iterationCount"),),
        aliases=(f"{CORE}.flow.WaitFor",),
        kind="flowable",
        family="flowable",
        children=SEQ_CHILDREN,
    ),
    T(
        f"{CORE}.flow.AllowFailure",
        (TASKS_REQ, *ERRORS_FINALLY),
        aliases=(f"{LEGACY}.flows.AllowFailure",),
        kind="flowable",
        family="flowable",
        children=SEQ_CHILDREN,
    ),
    T(
        f"{CORE}.flow.EachSequential",
        (P("value", "any", req=True), TASKS_REQ, *ERRORS_FINALLY),
        aliases=(f"{LEGACY}.flows.EachSequential",),
        kind="flowable",
        family="flowable",
        children=SEQ_CHILDREN,
    ),
    T(
        f"{CORE}.flow.EachParallel",
        (
            P("value", "any", req=True),
            P("concurrent", "integer", default=0),
            TASKS_REQ,
            *ERRORS_FINALLY,
        ),
        aliases=(f"{LEGACY}.flows.EachParallel",),
        kind="flowable",
        family="flowable",
        children=SEQ_CHILDREN,
    ),
    T(
        f"{CORE}.flow.Template",
        (
            P("namespace", "string", req=True),
            P("templateId", "string", req=True),
            P("tenantId", "string"),
            P("args", "map"),
            *ERRORS_FINALLY,
        ),
        (O("args", open=True),),
        aliases=(f"{LEGACY}.flows.Template",),
        kind="flowable",
        family="flowable",
        children=("errors", "finally"),
        outputs_open=True,
    ),
)

# --------------------------------------------------------------------------- storage (KESTRA.md §2.10)
STORAGE = (
    T(
        f"{CORE}.storage.Write",
        (P("content", "string", req=True), P("extension", "string", default=".ion")),
        (O("uri"),),
        aliases=(f"{LEGACY}.storages.Write",),
        family="storage",
    ),
    T(
        f"{CORE}.storage.Concat",
        (
            P("files", "any", req=True),
            P("separator", "string"),
            P("extension", "string", default=".tmp"),
        ),
        (O("uri"),),
        aliases=(f"{LEGACY}.storages.Concat",),
        family="storage",
    ),
    T(
        f"{CORE}.storage.Split",
        (
            P("from", "string", req=True),
            P("bytes", "string"),
            P("partitions", "integer"),
            P("rows", "integer"),
            P("separator", "string", default="\n"),
        ),
        (O("uris"),),
        aliases=(f"{LEGACY}.storages.Split",),
        family="storage",
    ),
    T(
        f"{CORE}.storage.Size",
        (P("uri", "string", req=True),),
        (O("size"),),
        aliases=(f"{LEGACY}.storages.Size",),
        family="storage",
    ),
    T(
        f"{CORE}.storage.Delete",
        (P("uri", "string", req=True), P("errorOnMissing", "boolean", default=False)),
        (O("uri"), O("deleted")),
        aliases=(f"{LEGACY}.storages.Delete",),
        family="storage",
    ),
    T(
        f"{CORE}.storage.Reverse",
        (
            P("from", "string", req=True),
            P("separator", "string", default="\n"),
            P("charset", "string", default="UTF-8"),
        ),
        (O("uri"),),
        aliases=(f"{LEGACY}.storages.Reverse",),
        family="storage",
    ),
    T(
        f"{CORE}.storage.FilterItems",
        (
            P("from", "string", req=True),
            P("filterCondition", "string", req=True, dyn=False),
            P("filterType", "string", default="INCLUDE"),
            P("errorOrNullBehavior", "string", default="FAIL"),
        ),
        (O("uri"), O("processedItemsTotal"), O("droppedItemsTotal")),
        aliases=(f"{LEGACY}.storages.FilterItems",),
        family="storage",
    ),
    T(
        f"{CORE}.storage.DeduplicateItems",
        (P("from", "string", req=True), P("expr", "string", req=True, dyn=False)),
        (O("uri"), O("numKeys"), O("processedItemsTotal"), O("droppedItemsTotal")),
        aliases=(f"{LEGACY}.storages.DeduplicateItems",),
        family="storage",
    ),
    T(
        f"{CORE}.storage.LocalFiles",
        (P("inputs", "any"), P("outputs", "list")),
        (O("uris", open=True),),
        aliases=(f"{LEGACY}.storages.LocalFiles",),
        family="storage",
    ),
    T(
        f"{CORE}.storage.PurgeCurrentExecutionFiles",
        (),
        (O("uris"),),
        aliases=(f"{LEGACY}.storages.PurgeExecution", f"{CORE}.storage.PurgeExecution"),
        family="storage",
    ),
)

# --------------------------------------------------------------------------- kv / namespace / state
KV = (
    T(
        f"{CORE}.kv.Set",
        (
            P("key", "string", req=True),
            P("value", "any", req=True),
            P("namespace", "string", default="{{ flow.namespace }}"),
            P("overwrite", "boolean", default=True),
            P("ttl", "duration"),
            P("kvDescription", "string"),
            P("kvType", "string", desc="STRING, NUMBER, BOOLEAN, DATETIME, DATE, DURATION or JSON"),
        ),
        family="kv",
    ),
    T(
        f"{CORE}.kv.Get",
        (
            P("key", "string", req=True),
            P("namespace", "string", default="{{ flow.namespace }}"),
            P("errorOnMissing", "boolean", default=False),
        ),
        (O("value", open=True),),
        family="kv",
    ),
    T(
        f"{CORE}.kv.Delete",
        (
            P("key", "string", req=True),
            P("namespace", "string", default="{{ flow.namespace }}"),
            P("errorOnMissing", "boolean", default=False),
        ),
        (O("deleted"),),
        family="kv",
    ),
    T(
        f"{CORE}.kv.GetKeys",
        (P("prefix", "string"), P("namespace", "string", default="{{ flow.namespace }}")),
        (O("keys"),),
        family="kv",
    ),
    T(
        f"{CORE}.kv.PurgeKV",
        (
            P("namespaces", "list"),
            P("namespacePattern", "string"),
            P("includeChildNamespaces", "boolean", default=True),
            P("keyPattern", "string"),
            P("expiredOnly", "boolean", default=True),
            P("behavior", "object"),
        ),
        family="kv",
        closed=False,
        outputs_open=True,
    ),
)

NAMESPACE = (
    T(
        f"{CORE}.namespace.UploadFiles",
        (
            P("namespace", "string", req=True),
            P("files", "any"),
            P("filesMap", "any"),
            P("destination", "string", default="/"),
            P("conflict", "string", default="OVERWRITE"),
        ),
        (O("files", open=True),),
        family="storage",
    ),
    T(
        f"{CORE}.namespace.DownloadFiles",
        (
            P("namespace", "string", req=True),
            P("files", "any", req=True),
            P("destination", "string", default=""),
        ),
        (O("files", open=True),),
        family="storage",
    ),
    T(
        f"{CORE}.namespace.DeleteFiles",
        (
            P("namespace", "string", req=True),
            P("files", "any", req=True),
            P("deleteParentFolder", "boolean", default=True),
        ),
        (O("files", open=True),),
        family="storage",
    ),
)

STATE_PROPS = (
    P("name", "string", default="default"),
    P("namespace", "boolean", default=False),
    P("taskrunValue", "boolean", default=True),
)
STATE = (
    T(
        f"{CORE}.state.Set",
        (*STATE_PROPS, P("data", "map")),
        (O("count"), O("key")),
        aliases=(f"{LEGACY}.states.Set",),
        family="kv",
    ),
    T(
        f"{CORE}.state.Get",
        (*STATE_PROPS, P("errorOnMissing", "boolean", default=False)),
        (O("count"), O("data", open=True)),
        aliases=(f"{LEGACY}.states.Get",),
        family="kv",
    ),
    T(
        f"{CORE}.state.Delete",
        (*STATE_PROPS, P("errorOnMissing", "boolean", default=False)),
        (O("deleted"),),
        aliases=(f"{LEGACY}.states.Delete",),
        family="kv",
    ),
)

# --------------------------------------------------------------------------- templating / runner / toggle
MISC = (
    T(
        f"{CORE}.templating.TemplatedTask",
        (P("spec", "string", req=True),),
        aliases=(f"{LEGACY}.templating.TemplatedTask",),
        outputs_open=True,
    ),
    T(
        f"{CORE}.trigger.Toggle",
        (
            P("namespace", "string"),
            P("flowId", "string"),
            P("trigger", "string", req=True),
            P("enabled", "boolean", default=False),
        ),
        aliases=(f"{LEGACY}.trigger.Toggle",),
        family="flow-control",
    ),
    T(f"{CORE}.runner.Process", (), kind="runner"),
)

# --------------------------------------------------------------------------- triggers
TRIGGERS = (
    T(
        f"{CORE}.trigger.Schedule",
        (
            P("cron", "string", req=True),
            P("withSeconds", "boolean", default=False),
            P("timezone", "string"),
            P("interval", "duration"),
            P("inputs", "map"),
            P("lateMaximumDelay", "duration"),
            P("recoverMissedSchedules", "string"),
            P("backfill", "map", dep=True),
            P("scheduleConditions", "list", dep=True),
        ),
        (O("date"), O("next"), O("previous")),
        aliases=("io.kestra.core.models.triggers.types.Schedule",),
        kind="trigger",
    ),
    T(
        f"{CORE}.trigger.ScheduleOnDates",
        (
            P("dates", "list", req=True),
            P("timezone", "string"),
            P("interval", "duration"),
            P("inputs", "map"),
            P("recoverMissedSchedules", "string"),
        ),
        (O("date"), O("next"), O("previous")),
        kind="trigger",
    ),
    T(
        f"{CORE}.trigger.Flow",
        (
            P("inputs", "map"),
            P("states", "list"),
            P("preconditions", "object"),
            # develop (2.0): upstream flows declared directly on the trigger
            P("dependsOn", "list", dyn=False),
            P("mode", "string", dyn=False, desc="ALL, ANY or AT_LEAST"),
            P("minSatisfied", "integer", dyn=False),
            P("window", "object", dyn=False),
        ),
        (
            O("executionId"),
            O("state"),
            O("namespace"),
            O("flowId"),
            O("flowRevision"),
            O("executionLabels", open=True),
            O("outputs", open=True),
        ),
        aliases=("io.kestra.core.models.triggers.types.Flow",),
        kind="trigger",
    ),
    T(
        f"{CORE}.trigger.Webhook",
        (
            P("key", "string", req=True),
            P("inputs", "map"),
            P("wait", "boolean"),
            P("returnOutputs", "boolean"),
        ),
        (O("body", open=True), O("headers", open=True), O("parameters", open=True)),
        aliases=("io.kestra.core.models.triggers.types.Webhook",),
        kind="trigger",
        closed=False,
    ),
)

# --------------------------------------------------------------------------- conditions
_COND = f"{CORE}.condition"
_LEGACY_COND = "io.kestra.core.models.conditions.types"


def _condition(name: str, props: tuple = (), *, legacy: bool = True, closed: bool = True):
    aliases = [f"{_COND}.{name}Condition"]
    if legacy:
        aliases.append(f"{_LEGACY_COND}.{name}Condition")
    return T(f"{_COND}.{name}", props, aliases=aliases, kind="condition", closed=closed)


CONDITIONS = (
    _condition("ExecutionStatus", (P("in", "list"), P("notIn", "list"))),
    _condition(
        "ExecutionNamespace",
        (
            P("namespace", "string", req=True),
            P("comparison", "string"),
            P("prefix", "boolean", dep=True),
        ),
    ),
    _condition(
        "ExecutionFlow", (P("namespace", "string", req=True), P("flowId", "string", req=True))
    ),
    _condition("ExecutionLabels", (P("labels", "any", req=True),)),
    _condition("ExecutionOutputs", (P("expression", "string", req=True),)),
    _condition("Expression", (P("expression", "string", req=True),)),
    _condition("DayWeek", (P("date", "string"), P("dayOfWeek", "string", req=True))),
    _condition(
        "DayWeekInMonth",
        (
            P("date", "string"),
            P("dayOfWeek", "string", req=True),
            P("dayInMonth", "string", req=True),
        ),
    ),
    _condition(
        "DateTimeBetween", (P("date", "string"), P("before", "string"), P("after", "string"))
    ),
    _condition("TimeBetween", (P("date", "string"), P("before", "string"), P("after", "string"))),
    _condition("Weekend", (P("date", "string"),)),
    _condition(
        "PublicHoliday", (P("date", "string"), P("country", "string"), P("subDivision", "string"))
    ),
    _condition("HasRetryAttempt", (P("in", "list"), P("notIn", "list"))),
    _condition("Not", (P("conditions", "list", req=True),)),
    _condition("Or", (P("conditions", "list", req=True),)),
    T(
        f"{_COND}.MultipleCondition",
        (
            P("id", "string"),
            P("window", "duration"),
            P("windowAdvance", "duration"),
            P("conditions", "map", req=True),
            P("resetOnSuccess", "boolean"),
        ),
        aliases=(f"{_LEGACY_COND}.MultipleCondition",),
        kind="condition",
        closed=False,
    ),
    T(
        f"{_COND}.FlowNamespaceCondition",
        (P("namespace", "string", req=True), P("prefix", "boolean")),
        aliases=(f"{_LEGACY_COND}.FlowNamespaceCondition",),
        kind="condition",
    ),
    T(
        f"{_COND}.FlowCondition",
        (P("namespace", "string", req=True), P("flowId", "string", req=True)),
        aliases=(f"{_LEGACY_COND}.FlowCondition",),
        kind="condition",
    ),
    T(f"{_COND}.FlowFilters", (), kind="condition", closed=False),
    T(f"{_COND}.ExecutionsCondition", (), kind="condition", closed=False),
    T(f"{_COND}.AdvancedExecutionsCondition", (), kind="condition", closed=False),
    T(
        f"{_COND}.VariableCondition",
        (),
        aliases=(f"{_LEGACY_COND}.VariableCondition",),
        kind="condition",
        closed=False,
    ),
)

TYPES = (
    *HTTP,
    *LOG,
    *EXECUTION,
    *FLOW,
    *STORAGE,
    *KV,
    *NAMESPACE,
    *STATE,
    *MISC,
    *TRIGGERS,
    *CONDITIONS,
)
