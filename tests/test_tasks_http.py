"""HTTP tasks against a real server on 127.0.0.1 (tests/fixtures/http_server.py)."""

from __future__ import annotations

import json
import threading
import time

import pytest
from fixtures.context import make_context
from fixtures.http_server import closed_port, http_server_fixture, products_payload  # noqa: F401

from runtime.errors import TaskError
from runtime.tasks import implementation

REQUEST = "io.kestra.plugin.core.http.Request"
DOWNLOAD = "io.kestra.plugin.core.http.Download"


def run(type_name: str, props: dict, ctx):
    return implementation(type_name)(props, ctx)


def echo(out: dict) -> dict:
    return json.loads(out["body"])


# --------------------------------------------------------------------------- Request basics


def test_get_products_keeps_the_body_as_a_string(tmp_path, http_server):
    ctx = make_context(tmp_path)
    out = run(REQUEST, {"uri": http_server.url("/products")}, ctx)
    assert set(out) == {"uri", "code", "headers", "body"}
    assert out["code"] == 200
    assert out["uri"] == http_server.url("/products")
    assert isinstance(out["body"], str)
    assert json.loads(out["body"]) == products_payload()
    assert out["headers"]["content-type"] == ["application/json"]
    assert all(isinstance(v, list) for v in out["headers"].values())


def test_the_uri_is_rendered_and_spaces_become_percent_20(tmp_path, http_server):
    ctx = make_context(tmp_path, variables={"inputs": {"base": http_server.url("")}})
    out = run(REQUEST, {"uri": "{{ inputs.base }}/echo?q=a b"}, ctx)
    assert out["uri"].endswith("/echo?q=a%20b")
    assert echo(out)["query"] == {"q": "a b"}


def test_legacy_fs_http_alias(tmp_path, http_server):
    out = run(
        "io.kestra.plugin.fs.http.Request",
        {"uri": http_server.url("/products/1")},
        make_context(tmp_path),
    )
    assert json.loads(out["body"])["id"] == 1


def test_post_body_with_content_type_and_headers(tmp_path, http_server):
    ctx = make_context(tmp_path, variables={"inputs": {"title": "Pen"}})
    props = {
        "uri": http_server.url("/echo"),
        "method": "post",
        "body": '{"title": "{{ inputs.title }}"}',
        "contentType": "application/json",
        "headers": {"X-Trace": "{{ inputs.title }}-1", "X-Number": 5},
    }
    seen = echo(run(REQUEST, props, ctx))
    assert seen["method"] == "POST"
    assert json.loads(seen["body"]) == {"title": "Pen"}
    assert seen["headers"]["content-type"] == "application/json; charset=UTF-8"
    assert seen["headers"]["x-trace"] == "Pen-1"
    assert seen["headers"]["x-number"] == "5"
    assert seen["headers"]["user-agent"] == "Kestra"


def test_a_map_body_is_sent_as_json(tmp_path, http_server):
    props = {"uri": http_server.url("/echo"), "method": "PUT", "body": {"a": [1, 2]}}
    seen = echo(run(REQUEST, props, make_context(tmp_path)))
    assert json.loads(seen["body"]) == {"a": [1, 2]}


def test_without_a_body_the_content_type_header_is_still_sent(tmp_path, http_server):
    seen = echo(run(REQUEST, {"uri": http_server.url("/echo")}, make_context(tmp_path)))
    assert seen["headers"]["content-type"] == "application/json"
    assert seen["body"] == ""


def test_user_headers_override_defaults(tmp_path, http_server):
    props = {
        "uri": http_server.url("/echo"),
        "headers": {"user-agent": "me", "Content-Type": "text/plain"},
    }
    seen = echo(run(REQUEST, props, make_context(tmp_path)))
    assert seen["headers"]["user-agent"] == "me"
    assert seen["headers"]["content-type"] == "text/plain"


def test_head_has_no_body_output(tmp_path, http_server):
    out = run(
        REQUEST, {"uri": http_server.url("/products"), "method": "HEAD"}, make_context(tmp_path)
    )
    assert out["code"] == 200 and "body" not in out


# --------------------------------------------------------------------------- formData


def test_form_data_url_encoded(tmp_path, http_server):
    ctx = make_context(tmp_path, variables={"u": "ada"})
    props = {
        "uri": http_server.url("/form"),
        "method": "POST",
        "formData": {"user": "{{ u }}", "n": 3},
    }
    seen = echo(run(REQUEST, props, ctx))
    assert seen["content_type"] == "application/x-www-form-urlencoded"
    assert seen["fields"] == {"user": "ada", "n": "3"}


def test_form_data_multipart_uploads_kestra_files_and_name_content_maps(tmp_path, http_server):
    ctx = make_context(tmp_path)
    source = tmp_path / "report.csv"
    source.write_text("a,b\n1,2\n")
    uri = ctx.put_file(source)
    props = {
        "uri": http_server.url("/form"),
        "method": "POST",
        "contentType": "multipart/form-data",
        "formData": {
            "plain": "text",
            "upload": uri,
            "named": {"name": "my-file.txt", "content": uri},
            "json": {"a": 1},
        },
    }
    seen = echo(run(REQUEST, props, ctx))
    assert seen["content_type"].startswith("multipart/form-data")
    assert seen["fields"] == {"plain": "text", "json": '{"a":1}'}
    assert seen["files"]["upload"]["content"] == "a,b\n1,2\n"
    assert seen["files"]["named"] == {"filename": "my-file.txt", "content": "a,b\n1,2\n"}


# --------------------------------------------------------------------------- status codes


def test_a_4xx_fails_with_the_code_and_body(tmp_path, http_server):
    with pytest.raises(TaskError) as err:
        run(REQUEST, {"uri": http_server.url("/status/404")}, make_context(tmp_path))
    message = str(err.value)
    assert "response code '404'" in message and "allowFailed" in message
    assert '"status": 404' in message


def test_allow_failed_keeps_the_response(tmp_path, http_server):
    ctx = make_context(tmp_path)
    out = run(
        REQUEST, {"uri": http_server.url("/status/500"), "options": {"allowFailed": True}}, ctx
    )
    assert out["code"] == 500
    # the deprecated top-level spelling
    out = run(REQUEST, {"uri": http_server.url("/status/503"), "allowFailed": "{{ true }}"}, ctx)
    assert out["code"] == 503


def test_allowed_response_codes(tmp_path, http_server):
    ctx = make_context(tmp_path)
    ok = {"uri": http_server.url("/status/404"), "options": {"allowedResponseCodes": [404]}}
    assert run(REQUEST, ok, ctx)["code"] == 404
    refused = {"uri": http_server.url("/status/200"), "options": {"allowedResponseCodes": [201]}}
    with pytest.raises(TaskError, match="allowed codes are 201"):
        run(REQUEST, refused, ctx)


def test_redirects_are_followed_unless_disabled(tmp_path, http_server):
    ctx = make_context(tmp_path)
    out = run(REQUEST, {"uri": http_server.url("/redirect")}, ctx)
    assert out["code"] == 200 and "products" in out["body"]
    out = run(
        REQUEST, {"uri": http_server.url("/redirect"), "options": {"followRedirects": False}}, ctx
    )
    assert out["code"] == 302 and out["headers"]["location"] == ["/products"]


# --------------------------------------------------------------------------- auth


def test_basic_and_bearer_auth(tmp_path, http_server):
    ctx = make_context(tmp_path)
    basic = {"type": "BASIC", "username": "user", "password": "pass"}
    out = run(REQUEST, {"uri": http_server.url("/auth/basic"), "options": {"auth": basic}}, ctx)
    assert out["code"] == 200
    bearer = {"type": "BEARER", "token": "token-123"}
    out = run(REQUEST, {"uri": http_server.url("/auth/bearer"), "options": {"auth": bearer}}, ctx)
    assert out["code"] == 200
    assert "token-123" in ctx.secrets
    legacy = {"basicAuthUser": "user", "basicAuthPassword": "pass"}
    out = run(REQUEST, {"uri": http_server.url("/auth/basic"), "options": legacy}, ctx)
    assert out["code"] == 200
    with pytest.raises(TaskError, match="'401'"):
        run(REQUEST, {"uri": http_server.url("/auth/basic")}, ctx)


def test_bad_auth_options(tmp_path, http_server):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match="must be one of BASIC, BEARER, DIGEST"):
        run(REQUEST, {"uri": http_server.url("/echo"), "options": {"auth": {"type": "OAUTH"}}}, ctx)
    with pytest.raises(TaskError, match="token' is required"):
        run(
            REQUEST, {"uri": http_server.url("/echo"), "options": {"auth": {"type": "BEARER"}}}, ctx
        )


# --------------------------------------------------------------------------- charsets


def test_response_charset_and_invalid_bodies(tmp_path, http_server):
    ctx = make_context(tmp_path)
    assert run(REQUEST, {"uri": http_server.url("/latin1")}, ctx)["body"] == "café"
    with pytest.raises(TaskError, match="use io.kestra.plugin.core.http.Download"):
        run(REQUEST, {"uri": http_server.url("/binary")}, ctx)


def test_default_charset_encodes_the_request_body(tmp_path, http_server):
    props = {
        "uri": http_server.url("/echo"),
        "method": "POST",
        "body": "é",
        "contentType": "text/plain",
        "options": {"defaultCharset": "ISO-8859-1"},
    }
    seen = echo(run(REQUEST, props, make_context(tmp_path)))
    assert seen["headers"]["content-type"] == "text/plain; charset=ISO-8859-1"
    assert seen["headers"]["content-length"] == "1"


# --------------------------------------------------------------------------- timeouts, cancel, bad input


def test_read_timeout(tmp_path, http_server):
    props = {
        "uri": http_server.url("/slow?seconds=3"),
        "options": {"timeout": {"readIdleTimeout": "PT0.3S"}},
    }
    started = time.monotonic()
    with pytest.raises(TaskError, match="timed out"):
        run(REQUEST, props, make_context(tmp_path))
    assert time.monotonic() - started < 2.5


def test_the_task_timeout_caps_the_request(tmp_path, http_server):
    ctx = make_context(tmp_path, timeout=0.4)
    with pytest.raises(TaskError, match="timed out"):
        run(REQUEST, {"uri": http_server.url("/slow?seconds=3")}, ctx)


def test_cancel_ends_a_request_at_once(tmp_path, http_server):
    ctx = make_context(tmp_path)
    threading.Timer(0.2, ctx.cancel.set).start()
    started = time.monotonic()
    with pytest.raises(TaskError, match="cancelled"):
        run(REQUEST, {"uri": http_server.url("/slow?seconds=5")}, ctx)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("not a url", "not an http"),
        ("ftp://127.0.0.1/file", "scheme 'ftp'"),
        ("http://127.0.0.1:99999/", "not a valid URL"),
        ("http:///path-only", "has no host"),
        ("", "is empty"),
        ("http://[::1/", "not a valid URL"),
    ],
)
def test_malformed_uris_fail_cleanly(tmp_path, uri, fragment):
    with pytest.raises(TaskError, match=fragment.replace("(", r"\(")):
        run(REQUEST, {"uri": uri}, make_context(tmp_path))


def test_missing_uri_and_bad_method(tmp_path, http_server):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match="property 'uri' is required"):
        run(REQUEST, {}, ctx)
    with pytest.raises(TaskError, match="not an HTTP method"):
        run(REQUEST, {"uri": http_server.url("/echo"), "method": "GE T"}, ctx)


def test_unreachable_host_is_a_clear_error(tmp_path):
    port = closed_port()
    with pytest.raises(TaskError) as err:
        run(REQUEST, {"uri": f"http://127.0.0.1:{port}/products"}, make_context(tmp_path))
    assert f"cannot connect to '127.0.0.1:{port}'" in str(err.value)
    assert "connection refused" in str(err.value)


def test_encrypt_body_is_refused(tmp_path, http_server):
    with pytest.raises(TaskError, match="encryptBody"):
        run(REQUEST, {"uri": http_server.url("/echo"), "encryptBody": True}, make_context(tmp_path))


def test_request_logs_option(tmp_path, http_server):
    ctx = make_context(tmp_path)
    props = {
        "uri": http_server.url("/products/2"),
        "options": {"logs": ["REQUEST_HEADERS", "RESPONSE_HEADERS", "RESPONSE_BODY"]},
    }
    run(REQUEST, props, ctx)
    messages = " ".join(x.message for x in ctx.logs)
    assert "request GET" in messages and "response 200" in messages and '"id": 2' in messages
    with pytest.raises(TaskError, match="options.logs"):
        run(REQUEST, {"uri": http_server.url("/echo"), "options": {"logs": ["ALL"]}}, ctx)


# --------------------------------------------------------------------------- Download


def test_download_stores_the_body_with_the_url_extension(tmp_path, http_server):
    ctx = make_context(tmp_path)
    out = run(DOWNLOAD, {"uri": http_server.url("/data.csv")}, ctx)
    assert set(out) == {"uri", "code", "length", "headers"}
    assert out["code"] == 200 and out["length"] == len(b"brand,price\nAcme,1.5\nBeta,2.5\n")
    assert out["uri"].startswith("kestra:///company/team/test-flow/executions/exec1/tasks/")
    assert out["uri"].endswith(".csv")
    assert ctx.storage.read_text(out["uri"]) == "brand,price\nAcme,1.5\nBeta,2.5\n"
    assert any(m.name == "response.length" for m in ctx.metrics)


def test_download_names_the_file_from_content_disposition(tmp_path, http_server):
    ctx = make_context(tmp_path)
    out = run(
        "io.kestra.plugin.fs.http.Download", {"uri": http_server.url("/file/report 1.txt")}, ctx
    )
    assert out["uri"].endswith("/report+1.txt")
    assert ctx.storage.read_text(out["uri"]) == "content of report 1.txt\n"


def test_download_empty_body(tmp_path, http_server):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match="empty body"):
        run(DOWNLOAD, {"uri": http_server.url("/empty")}, ctx)
    out = run(DOWNLOAD, {"uri": http_server.url("/empty"), "failOnEmptyResponse": False}, ctx)
    assert out["length"] == 0
    assert any(x.level == "WARN" and "is empty" in x.message for x in ctx.logs)


def test_download_failures(tmp_path, http_server):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match="expected 100"):
        run(DOWNLOAD, {"uri": http_server.url("/short")}, ctx)
    with pytest.raises(TaskError, match="'404'"):
        run(DOWNLOAD, {"uri": http_server.url("/status/404")}, ctx)
    with pytest.raises(TaskError, match="connection refused"):
        run(DOWNLOAD, {"uri": f"http://127.0.0.1:{closed_port()}/x.csv"}, ctx)


def test_download_of_binary_content(tmp_path, http_server):
    ctx = make_context(tmp_path)
    out = run(DOWNLOAD, {"uri": http_server.url("/binary")}, ctx)
    assert ctx.storage.read_bytes(out["uri"]) == b"\xff\xfe\xfa\x00bad"
    assert out["uri"].endswith(".tmp")
