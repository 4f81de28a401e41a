"""HTTP tasks on httpx: ``io.kestra.plugin.core.http.Request`` and ``.Download``
(legacy ``io.kestra.plugin.fs.http.*``), after Kestra's ``AbstractHttp`` and ``HttpClient``.

Request properties: ``uri`` (spaces become ``%20``), ``method`` (GET), ``body``, ``formData``
(url-encoded, or multipart when ``contentType`` is ``multipart/form-data``: a ``kestra://`` value
uploads that file, a ``{name, content}`` map uploads ``content`` under ``name``), ``contentType``
(``application/json``; sent as the body's type, or as a bare ``Content-Type`` header when there is
no body, as Kestra does), ``headers`` and ``options``:

* ``timeout.connectTimeout``, ``timeout.readIdleTimeout`` (ISO durations; read default PT5M;
  deprecated ``connectTimeout``/``readTimeout``/``readIdleTimeout`` at the top of ``options``);
* ``auth``: ``{type: BASIC, username, password}``, ``{type: BEARER, token}``,
  ``{type: DIGEST, username, password}``; deprecated ``basicAuthUser``/``basicAuthPassword``;
* ``followRedirects`` (true), ``allowFailed`` (false), ``allowedResponseCodes`` (when set, only
  these codes pass), ``defaultCharset`` (UTF-8: encodes the request body and decodes a response
  that names no charset);
* ``proxy`` ``{type: HTTP, address, port, username, password}``, ``ssl.insecureTrustAllCertificates``,
  ``logs`` (``REQUEST_HEADERS``, ``REQUEST_BODY``, ``RESPONSE_HEADERS``, ``RESPONSE_BODY``).

Top-level ``allowFailed`` and ``sslOptions`` are the deprecated spellings of ``options.*``.

Outputs: Request -> ``uri``, ``code``, ``headers`` (lower-case name -> list of values), ``body``
(a string, never parsed; absent for HEAD, 204 and 304). Download -> ``uri`` (the stored file,
named from ``Content-Disposition`` or a temp name with the URL's extension), ``code``, ``length``,
``headers``. The exchange runs on a helper thread so that a cancel (``ctx.cancel``: timeout or
kill) ends the task at once; httpx timeouts are capped by ``ctx.remaining()``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote_plus, unquote

from runtime.errors import StorageError, TaskError
from runtime.tasks.base import TaskContext
from runtime.tasks.props import Props
from runtime.tasks.workdir import fetch_to, temp_name

__all__ = ["TASKS"]

HTTP = "io.kestra.plugin.core.http"
DEFAULT_READ_TIMEOUT = 300.0  # readIdleTimeout PT5M
_METHOD = re.compile(r"^[A-Z][A-Z0-9_-]*$")
_LOG_TYPES = ("REQUEST_HEADERS", "REQUEST_BODY", "RESPONSE_HEADERS", "RESPONSE_BODY")
_CHUNK = 64 * 1024
T = TypeVar("T")


# --------------------------------------------------------------------------- configuration


class _Options:
    """``options`` (HttpConfiguration) rendered and checked."""

    def __init__(self, props: Mapping[str, Any], ctx: TaskContext) -> None:
        p = Props(props, ctx)
        raw = props.get("options")
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise TaskError(f"property 'options' must be a map (got {type(raw).__name__})")
        o = Props(raw, ctx)
        timeout = raw.get("timeout") or {}
        if not isinstance(timeout, Mapping):
            raise TaskError(
                "property 'options.timeout' must be a map (connectTimeout, readIdleTimeout)"
            )
        t = Props(timeout, ctx)
        self.connect = t.duration("connectTimeout", o.duration("connectTimeout"))
        self.read = t.duration(
            "readIdleTimeout",
            o.duration("readTimeout", o.duration("readIdleTimeout", DEFAULT_READ_TIMEOUT)),
        )
        self.follow_redirects = o.boolean("followRedirects", True)
        # top-level allowFailed (deprecated) maps onto options.allowFailed
        self.allow_failed = o.boolean("allowFailed", p.boolean("allowFailed", False))
        codes = o.list("allowedResponseCodes", strings=False)
        self.allowed_codes: list[int] | None = None
        if codes:
            try:
                self.allowed_codes = [int(str(c).strip()) for c in codes]
            except ValueError:
                raise TaskError(
                    f"property 'options.allowedResponseCodes' must list status codes (got {codes!r})"
                ) from None
        self.charset = o.string("defaultCharset", "UTF-8") or "UTF-8"
        try:
            "".encode(self.charset)
        except LookupError:
            raise TaskError(
                f"property 'options.defaultCharset': unknown charset '{self.charset}'"
            ) from None
        self.auth = self._auth(raw, o, ctx)
        ssl = raw.get("ssl") if raw.get("ssl") is not None else props.get("sslOptions")
        self.verify = True
        if ssl is not None:
            if not isinstance(ssl, Mapping):
                raise TaskError(
                    "property 'options.ssl' must be a map (insecureTrustAllCertificates)"
                )
            self.verify = not Props(ssl, ctx).boolean("insecureTrustAllCertificates", False)
        self.proxy = self._proxy(raw, o, ctx)
        logs = o.list("logs") or []
        if o.string("logLevel"):
            level = (o.string("logLevel") or "").upper()
            logs = {
                "TRACE": list(_LOG_TYPES),
                "DEBUG": ["REQUEST_HEADERS", "RESPONSE_HEADERS"],
                "INFO": ["RESPONSE_HEADERS"],
            }.get(level, logs)
        bad = [x for x in logs if x not in _LOG_TYPES]
        if bad:
            raise TaskError(
                f"property 'options.logs' accepts {', '.join(_LOG_TYPES)} (got {bad[0]!r})"
            )
        self.logs = set(logs)

    @staticmethod
    def _auth(raw: Mapping[str, Any], o: Props, ctx: TaskContext) -> Any:
        import httpx

        auth = raw.get("auth")
        if auth is None:
            user = o.string("basicAuthUser")
            if user is not None:
                return httpx.BasicAuth(user, o.string("basicAuthPassword", "") or "")
            return None
        if not isinstance(auth, Mapping):
            raise TaskError(
                "property 'options.auth' must be a map with a type (BASIC, BEARER or DIGEST)"
            )
        a = Props(auth, ctx)
        kind = a.choice("type", ("BASIC", "BEARER", "DIGEST"))
        if kind is None:
            raise TaskError("property 'options.auth.type' is required: BASIC, BEARER or DIGEST")
        if kind == "BEARER":
            token = a.string("token")
            if not token:
                raise TaskError("property 'options.auth.token' is required for BEARER auth")
            ctx.secrets.add(token)
            return ("BEARER", token)
        username = a.string("username")
        password = a.string("password", "") or ""
        if not username:
            raise TaskError(f"property 'options.auth.username' is required for {kind} auth")
        if password:
            ctx.secrets.add(password)
        return (
            httpx.BasicAuth(username, password)
            if kind == "BASIC"
            else httpx.DigestAuth(username, password)
        )

    @staticmethod
    def _proxy(raw: Mapping[str, Any], o: Props, ctx: TaskContext) -> str | None:
        proxy = raw.get("proxy")
        spec: dict[str, Any] = {}
        if isinstance(proxy, Mapping):
            pp = Props(proxy, ctx)
            spec = {
                "type": pp.string("type", "HTTP"),
                "address": pp.string("address"),
                "port": pp.integer("port"),
                "username": pp.string("username"),
                "password": pp.string("password"),
            }
        elif proxy is not None:
            raise TaskError("property 'options.proxy' must be a map (type, address, port, ...)")
        elif o.string("proxyAddress"):
            spec = {
                "type": o.string("proxyType", "HTTP"),
                "address": o.string("proxyAddress"),
                "port": o.integer("proxyPort"),
                "username": o.string("proxyUsername"),
                "password": o.string("proxyPassword"),
            }
        if not spec.get("address"):
            return None
        kind = (spec.get("type") or "HTTP").upper()
        if kind == "DIRECT":
            return None
        if kind != "HTTP":
            raise TaskError(f"proxy type '{kind}' is not supported by flowc; use HTTP")
        if spec.get("port") is None:
            raise TaskError("property 'options.proxy.port' is required with an address")
        cred = ""
        if spec.get("username") and spec.get("password") is not None:
            cred = f"{quote_plus(spec['username'])}:{quote_plus(spec['password'])}@"
        return f"http://{cred}{spec['address']}:{spec['port']}"


def _url(p: Props) -> str:
    import httpx

    text = (p.string("uri", required=True) or "").strip().replace(" ", "%20")
    if not text:
        raise TaskError("property 'uri' is empty; expected an http:// or https:// URL")
    try:
        url = httpx.URL(text)
    except Exception as exc:  # httpx.InvalidURL and friends
        raise TaskError(f"uri '{text}' is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https"):
        raise TaskError(
            f"uri '{text}' is not an http:// or https:// URL"
            + (f" (scheme '{url.scheme}')" if url.scheme else "; add the scheme, e.g. 'https://'")
        )
    if not url.host:
        raise TaskError(f"uri '{text}' has no host")
    if url.port is not None and not 0 < url.port < 65536:
        raise TaskError(f"uri '{text}' is not a valid URL: port {url.port} is out of range")
    if text.count("[") != text.count("]"):
        raise TaskError(f"uri '{text}' is not a valid URL: unbalanced brackets")
    return text


def _method(p: Props) -> str:
    method = (p.string("method", "GET") or "GET").strip().upper()
    if not _METHOD.match(method):
        raise TaskError(f"property 'method' '{method}' is not an HTTP method (GET, POST, PUT, ...)")
    return method


def _headers(p: Props) -> dict[str, str]:
    headers = p.map("headers", strings=True) or {}
    return {str(k): "" if v is None else str(v) for k, v in headers.items()}


def _has_header(headers: Mapping[str, str], name: str) -> bool:
    return any(k.lower() == name.lower() for k in headers)


def _build_request(client: Any, p: Props, ctx: TaskContext, opts: _Options, url: str) -> Any:
    """The httpx.Request, as ``AbstractHttp.request`` builds it."""
    method = _method(p)
    content_type = p.string("contentType", "application/json")
    headers: dict[str, str] = {"User-Agent": "Kestra"}
    kwargs: dict[str, Any] = {}
    form = p.map("formData")
    if form:
        if content_type == "multipart/form-data":
            data: dict[str, str] = {}
            files: list[tuple[str, tuple[str, bytes]]] = []
            for key, value in form.items():
                if isinstance(value, str):
                    if value.startswith("kestra://"):
                        path = fetch_to(ctx, value, ctx.working_dir() / temp_name())
                        files.append((key, (path.name, path.read_bytes())))
                    else:
                        data[key] = value
                elif isinstance(value, Mapping) and "name" in value and "content" in value:
                    name = str(value["name"])
                    content = str(value["content"])
                    if content.startswith(("kestra://", "nsfile://")):
                        body = fetch_to(ctx, content, ctx.working_dir() / temp_name()).read_bytes()
                    else:
                        body = content.encode(opts.charset)
                    files.append((key, (Path(name).name or "file", body)))
                else:
                    data[key] = json.dumps(value, separators=(",", ":"))
            kwargs["data"] = data
            kwargs["files"] = files
        else:
            kwargs["data"] = {
                k: (v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
                if not isinstance(v, list)
                else [x if isinstance(x, str) else json.dumps(x) for x in v]
                for k, v in form.items()
            }
    elif p.has("body"):
        body = p.string("body") or ""
        kwargs["content"] = body.encode(opts.charset)
        if content_type:
            headers["Content-Type"] = f"{content_type}; charset={opts.charset}"
    elif content_type:
        headers["Content-Type"] = content_type
    user = _headers(p)
    for k in list(headers):
        if _has_header(user, k):
            del headers[k]
    headers.update(user)
    if isinstance(opts.auth, tuple) and opts.auth[0] == "BEARER":
        headers.setdefault("Authorization", f"Bearer {opts.auth[1]}")
    return client.build_request(method, url, headers=headers, **kwargs)


def _timeout(opts: _Options, ctx: TaskContext) -> Any:
    import httpx

    remaining = ctx.remaining()
    connect, read = opts.connect, opts.read
    if remaining is not None:
        connect = remaining if connect is None else min(connect, remaining)
        read = remaining if read is None else min(read, remaining)
    return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)


def _client(opts: _Options, ctx: TaskContext) -> Any:
    import httpx

    auth = opts.auth if not isinstance(opts.auth, tuple) else None
    return httpx.Client(
        auth=auth,
        follow_redirects=opts.follow_redirects,
        timeout=_timeout(opts, ctx),
        verify=opts.verify,
        proxy=opts.proxy,
        trust_env=False,
    )


def _run_cancellable(ctx: TaskContext, what: str, fn: Callable[[threading.Event], T]) -> T:
    """Run ``fn`` on a daemon thread; return its result, or end at once when ``ctx.cancel`` is
    set (the thread notices the flag it gets and stops at its next chunk or timeout)."""
    result: dict[str, Any] = {}
    stop = threading.Event()

    def target() -> None:
        try:
            result["value"] = fn(stop)
        except BaseException as exc:  # handed to the caller
            result["error"] = exc

    thread = threading.Thread(target=target, name=f"flowc-http-{ctx.task_id}", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.05)
        if ctx.cancel.is_set():
            stop.set()
            raise TaskError(f"{what} was cancelled (timeout or kill)")
    if "error" in result:
        raise result["error"]
    return result["value"]


def _transport_error(exc: Exception, url: str, opts: _Options) -> TaskError:
    import httpx

    host = httpx.URL(url).host
    port = httpx.URL(url).port
    where = f"{host}:{port}" if port else host
    if isinstance(exc, httpx.ConnectTimeout):
        return TaskError(
            f"cannot connect to '{where}' for '{url}': no answer within the connect timeout"
        )
    if isinstance(exc, httpx.TimeoutException):
        limit = f" ({opts.read:g}s)" if opts.read is not None else ""
        return TaskError(
            f"request to '{url}' timed out{limit}; raise options.timeout.readIdleTimeout if the server is slow"
        )
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc) or type(exc).__name__
        if "refused" in reason.lower():
            reason = "connection refused"
        elif "name" in reason.lower() and (
            "resolution" in reason.lower() or "known" in reason.lower()
        ):
            reason = f"the host name '{host}' does not resolve"
        return TaskError(f"cannot connect to '{where}' for '{url}': {reason}")
    if isinstance(exc, httpx.TooManyRedirects):
        return TaskError(f"request to '{url}' was redirected too many times")
    if isinstance(exc, httpx.HTTPError):
        return TaskError(f"request to '{url}' failed: {exc or type(exc).__name__}")
    return TaskError(f"request to '{url}' failed: {exc}")


def _headers_out(response: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in response.headers.multi_items():
        out.setdefault(name, []).append(value)
    return out


def _allowed(code: int, opts: _Options) -> bool:
    if opts.allowed_codes:
        return code in opts.allowed_codes
    return opts.allow_failed or code < 400


def _failure(code: int, url: str, body: bytes, opts: _Options) -> TaskError:
    hint = (
        f"allowed codes are {', '.join(map(str, opts.allowed_codes))}"
        if opts.allowed_codes
        else "set options.allowFailed: true to accept it"
    )
    message = f"request to '{url}' failed with response code '{code}'; {hint}"
    if body:
        text = body[:2000].decode("utf-8", errors="replace")
        message += f"; body:\n{text}" + ("..." if len(body) > 2000 else "")
    return TaskError(message)


def _log_request(ctx: TaskContext, opts: _Options, request: Any) -> None:
    if "REQUEST_HEADERS" in opts.logs:
        ctx.log("INFO", f"request {request.method} {request.url} headers: {dict(request.headers)}")
    if "REQUEST_BODY" in opts.logs:
        ctx.log("INFO", f"request body: {request.content.decode('utf-8', errors='replace')}")


def _log_response(ctx: TaskContext, opts: _Options, response: Any, body: bytes | None) -> None:
    if "RESPONSE_HEADERS" in opts.logs:
        ctx.log("INFO", f"response {response.status_code} headers: {_headers_out(response)}")
    if "RESPONSE_BODY" in opts.logs and body is not None:
        ctx.log("INFO", f"response body: {body.decode('utf-8', errors='replace')}")


def _charset_of(response: Any, default: str) -> str:
    m = re.search(
        r"charset=\"?([^\s;\"]+)", response.headers.get("content-type", ""), re.IGNORECASE
    )
    if m:
        try:
            "".encode(m.group(1))
            return m.group(1)
        except LookupError:
            pass
    return default


# --------------------------------------------------------------------------- tasks


def request(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    import httpx

    p = Props(props, ctx)
    url = _url(p)
    opts = _Options(props, ctx)
    if p.boolean("encryptBody", False):
        raise TaskError(
            "encryptBody needs Kestra's encryption key (kestra.encryption.secret-key), which flowc "
            "does not have; remove encryptBody to get the body as 'body'"
        )

    def exchange(stop: threading.Event) -> tuple[Any, bytes]:
        with _client(opts, ctx) as client:
            req = _build_request(client, p, ctx, opts, url)
            _log_request(ctx, opts, req)
            try:
                response = client.send(req, stream=True)
                try:
                    chunks = []
                    for chunk in response.iter_bytes(_CHUNK):
                        if stop.is_set():
                            break
                        chunks.append(chunk)
                finally:
                    response.close()
            except httpx.HTTPError as exc:
                raise _transport_error(exc, url, opts) from None
            return response, b"".join(chunks)

    started = time.monotonic()
    response, raw = _run_cancellable(ctx, f"request to '{url}'", exchange)
    ctx.metric("request.duration", "timer", time.monotonic() - started)
    code = response.status_code
    _log_response(ctx, opts, response, raw)
    if not _allowed(code, opts):
        raise _failure(code, url, raw, opts)
    out: dict[str, Any] = {"uri": url, "code": code, "headers": _headers_out(response)}
    if response.request.method != "HEAD" and code not in (204, 304):
        charset = _charset_of(response, opts.charset)
        try:
            out["body"] = raw.decode(charset)
        except UnicodeDecodeError as exc:
            raise TaskError(
                f"the response body of '{url}' is not valid {charset} text (byte {exc.start}); "
                "the Request task only keeps text bodies: use io.kestra.plugin.core.http.Download "
                "to store it as a file"
            ) from None
    return out


def _filename_from_disposition(value: str) -> str | None:
    """Kestra's ``Download.filenameFromHeader``: ``filename*`` (RFC 5987) wins over ``filename``."""
    filename = None
    for part in value.split(";"):
        stripped = part.strip()
        if stripped.lower().startswith("filename*"):
            encoded = stripped.split("=", 1)[-1].strip()
            charset, _, rest = encoded.partition("'")
            _, _, text = rest.partition("'")
            try:
                filename = unquote(text.strip('"'), encoding=charset or "utf-8")
            except LookupError:
                filename = unquote(text.strip('"'))
        elif stripped.lower().startswith("filename") and filename is None:
            filename = stripped.split("=", 1)[-1].strip()
            if len(filename) >= 2 and filename[0] == '"' and filename[-1] == '"':
                filename = filename[1:-1]
    if filename is None:
        return None
    filename = re.split(r"[\\/]", filename)[-1].strip()
    if not filename or filename in (".", ".."):
        return None
    return filename


def _extension_from_url(url: str) -> str | None:
    import httpx

    path = httpx.URL(url).path or ""
    last = path[path.rfind("/") :]
    return last[last.rfind(".") :] if "." in last else None


def download(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    import httpx

    p = Props(props, ctx)
    url = _url(p)
    opts = _Options(props, ctx)
    fail_on_empty = p.boolean("failOnEmptyResponse", True)
    tmp = ctx.working_dir() / temp_name(_extension_from_url(url))

    def exchange(stop: threading.Event) -> tuple[Any, int, bytes]:
        with _client(opts, ctx) as client:
            req = _build_request(client, p, ctx, opts, url)
            _log_request(ctx, opts, req)
            try:
                response = client.send(req, stream=True)
                try:
                    size = 0
                    if not _allowed(response.status_code, opts):
                        head = b""
                        for chunk in response.iter_bytes(_CHUNK):
                            head += chunk
                            if len(head) > 4000 or stop.is_set():
                                break
                        return response, -1, head
                    with open(tmp, "wb") as fh:
                        for chunk in response.iter_bytes(_CHUNK):
                            if stop.is_set():
                                break
                            fh.write(chunk)
                            size += len(chunk)
                finally:
                    response.close()
            except httpx.HTTPError as exc:
                raise _transport_error(exc, url, opts) from None
            return response, size, b""

    response, size, head = _run_cancellable(ctx, f"download of '{url}'", exchange)
    code = response.status_code
    _log_response(ctx, opts, response, None)
    if size < 0:
        raise _failure(code, url, head, opts)
    encoding = response.headers.get("content-encoding", "identity").lower()
    declared = response.headers.get("content-length")
    if declared is not None and encoding in ("", "identity") and response.request.method != "HEAD":
        try:
            expected = int(declared)
        except ValueError:
            expected = None
        if expected is not None and expected != size:
            raise TaskError(
                f"invalid size for '{url}': got {size} bytes, expected {expected} (Content-Length)"
            )
    if size == 0:
        if fail_on_empty and not opts.allow_failed:
            raise TaskError(
                f"no response from server: '{url}' returned an empty body; set failOnEmptyResponse: "
                "false to accept empty files"
            )
        if not fail_on_empty:
            ctx.log("WARN", f"File '{url}' is empty")
    name = None
    disposition = response.headers.get("content-disposition")
    if disposition:
        name = _filename_from_disposition(disposition)
    stored = quote_plus(name) if name else tmp.name
    try:
        uri = ctx.put_file(tmp, stored)
    except StorageError as exc:
        raise TaskError(f"cannot store the download of '{url}': {exc}") from exc
    ctx.metric("response.length", "counter", float(size))
    return {"uri": uri, "code": code, "length": size, "headers": _headers_out(response)}


TASKS = {
    f"{HTTP}.Request": request,
    f"{HTTP}.Download": download,
}
