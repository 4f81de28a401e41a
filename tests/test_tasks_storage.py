"""Internal-storage tasks over a real Storage in a temporary directory."""

from __future__ import annotations

import pytest
from fixtures.context import make_context

from runtime.errors import TaskError
from runtime.ion import dumps, iter_values, to_plain
from runtime.tasks import implementation

S = "io.kestra.plugin.core.storage"


def run(type_name: str, props: dict, ctx):
    return implementation(type_name)(props, ctx)


def put(ctx, tmp_path, name: str, data: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return ctx.put_file(path)


def rows(ctx, uri: str) -> list:
    return [to_plain(v) for v in iter_values(ctx.storage.read_bytes(uri))]


# --------------------------------------------------------------------------- Write, Size, Delete


def test_write_renders_content_to_a_new_file(tmp_path):
    ctx = make_context(tmp_path, variables={"n": 2})
    out = run(f"{S}.Write", {"content": "{a:{{ n }}}\n"}, ctx)
    assert out["uri"].endswith(".ion")
    assert ctx.storage.read_text(out["uri"]) == "{a:2}\n"
    out = run(f"{S}.Write", {"content": "x", "extension": ".txt"}, ctx)
    assert out["uri"].endswith(".txt")
    with pytest.raises(TaskError, match="'content' is required"):
        run(f"{S}.Write", {}, ctx)


def test_size_and_delete(tmp_path):
    ctx = make_context(tmp_path)
    uri = put(ctx, tmp_path, "f.txt", "12345")
    assert run(f"{S}.Size", {"uri": uri}, ctx) == {"size": 5}
    assert run("io.kestra.core.tasks.storages.Delete", {"uri": uri}, ctx) == {
        "uri": uri,
        "deleted": True,
    }
    assert run(f"{S}.Delete", {"uri": uri}, ctx) == {"uri": uri, "deleted": False}
    with pytest.raises(TaskError, match="unable to find file"):
        run(f"{S}.Delete", {"uri": uri, "errorOnMissing": True}, ctx)
    with pytest.raises(TaskError, match="does not exist"):
        run(f"{S}.Size", {"uri": uri}, ctx)


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("http://example.com/x", "foreign scheme"),
        ("kestra://host/x", "authority"),
        ("kestra:///a/../b", "segment"),
        ("/etc/passwd", "absolute path"),
        ("", "is empty"),
    ],
)
def test_bad_uris_are_task_errors(tmp_path, uri, fragment):
    with pytest.raises(TaskError, match=fragment):
        run(f"{S}.Size", {"uri": uri}, make_context(tmp_path))


# --------------------------------------------------------------------------- Concat, Split, Reverse


def test_concat_a_list_with_a_separator(tmp_path):
    ctx = make_context(tmp_path)
    a = put(ctx, tmp_path, "a.txt", "A")
    b = put(ctx, tmp_path, "b.txt", "B")
    out = run(f"{S}.Concat", {"files": [a, b], "separator": "\n"}, ctx)
    assert out["uri"].endswith(".tmp")
    assert ctx.storage.read_text(out["uri"]) == "A\nB\n"  # Kestra writes it after each file


def test_concat_a_json_string_of_uris(tmp_path):
    ctx = make_context(tmp_path)
    uris = [put(ctx, tmp_path, f"{i}.txt", f"{i};") for i in range(3)]
    ctx2 = make_context(tmp_path, storage=ctx.storage, variables={"files": {"x": uris}})
    out = run(f"{S}.Concat", {"files": "{{ files.x }}", "extension": ".csv"}, ctx2)
    assert out["uri"].endswith(".csv")
    assert ctx.storage.read_text(out["uri"]) == "0;1;2;"


def test_concat_bad_files(tmp_path):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match="JSON array"):
        run(f"{S}.Concat", {"files": "not json"}, ctx)
    with pytest.raises(TaskError, match="cannot read"):
        run(f"{S}.Concat", {"files": ["kestra:///company/team/nope.txt"]}, ctx)


LINES = "".join(f"line{i}\n" for i in range(1, 8))


def test_split_by_rows(tmp_path):
    ctx = make_context(tmp_path)
    uri = put(ctx, tmp_path, "in.csv", LINES)
    out = run(f"{S}.Split", {"from": uri, "rows": 3}, ctx)
    parts = [ctx.storage.read_text(u) for u in out["uris"]]
    assert parts == ["line1\nline2\nline3\n", "line4\nline5\nline6\n", "line7\n"]
    assert all(u.endswith(".csv") for u in out["uris"])


def test_split_by_partitions_and_bytes(tmp_path):
    ctx = make_context(tmp_path)
    uri = put(ctx, tmp_path, "in.txt", LINES)
    out = run(f"{S}.Split", {"from": uri, "partitions": 3}, ctx)
    parts = [ctx.storage.read_text(u) for u in out["uris"]]
    assert parts == ["line1\nline4\nline7\n", "line2\nline5\n", "line3\nline6\n"]
    out = run(f"{S}.Split", {"from": uri, "bytes": "12"}, ctx)
    parts = [ctx.storage.read_text(u) for u in out["uris"]]
    assert parts == ["line1\nline2\n", "line3\nline4\n", "line5\nline6\n", "line7\n"]
    out = run(f"{S}.Split", {"from": uri, "rows": 4, "separator": ";"}, ctx)
    assert ctx.storage.read_text(out["uris"][0]) == "line1;line2;line3;line4;"


def test_split_needs_a_mode(tmp_path):
    ctx = make_context(tmp_path)
    uri = put(ctx, tmp_path, "in.txt", LINES)
    with pytest.raises(TaskError, match="set one of 'bytes', 'partitions', 'rows'"):
        run(f"{S}.Split", {"from": uri}, ctx)
    with pytest.raises(TaskError, match="at least 1"):
        run(f"{S}.Split", {"from": uri, "rows": 0}, ctx)
    with pytest.raises(TaskError, match="property 'bytes'"):
        run(f"{S}.Split", {"from": uri, "bytes": "lots"}, ctx)


def test_reverse_lines(tmp_path):
    ctx = make_context(tmp_path)
    uri = put(ctx, tmp_path, "n.txt", "1\r\n2\n3")
    out = run(f"{S}.Reverse", {"from": uri}, ctx)
    assert ctx.storage.read_text(out["uri"]) == "3\n2\n1\n"
    assert out["uri"].endswith(".txt")
    latin = put(ctx, tmp_path, "l.txt", "é\nà\n".encode("latin-1"))
    out = run(f"{S}.Reverse", {"from": latin, "charset": "ISO-8859-1", "separator": ","}, ctx)
    assert ctx.storage.read_bytes(out["uri"]) == "à,é,".encode("latin-1")
    with pytest.raises(TaskError, match="unknown charset"):
        run(f"{S}.Reverse", {"from": uri, "charset": "KLINGON"}, ctx)


# --------------------------------------------------------------------------- FilterItems, DeduplicateItems


def ion_file(ctx, tmp_path, items: list) -> str:
    return put(ctx, tmp_path, "items.ion", "".join(dumps(i) + "\n" for i in items))


ITEMS = [
    {"id": 1, "price": 10.5, "brand": "a"},
    {"id": 2, "price": 99, "brand": "b"},
    {"id": 3, "price": 20, "brand": "a"},
    {"id": 4, "price": None, "brand": "c"},
]


def test_filter_items_include_and_exclude(tmp_path):
    ctx = make_context(tmp_path, variables={"limit": 50})
    uri = ion_file(ctx, tmp_path, ITEMS[:3])
    out = run(f"{S}.FilterItems", {"from": uri, "filterCondition": "{{ price > limit }}"}, ctx)
    assert rows(ctx, out["uri"]) == [ITEMS[1]]
    assert (out["processedItemsTotal"], out["droppedItemsTotal"]) == (3, 2)
    out = run(
        "io.kestra.core.tasks.storages.FilterItems",
        {"from": uri, "filterCondition": "{{ brand == 'a' }}", "filterType": "EXCLUDE"},
        ctx,
    )
    assert rows(ctx, out["uri"]) == [ITEMS[1]]


def test_filter_items_error_or_null_behavior(tmp_path):
    ctx = make_context(tmp_path)
    uri = ion_file(ctx, tmp_path, [{"id": 1, "x": 1}, {"id": 2}])
    props = {"from": uri, "filterCondition": "{{ x > 0 }}"}
    with pytest.raises(TaskError, match="filterCondition failed on item"):
        run(f"{S}.FilterItems", props, ctx)
    out = run(f"{S}.FilterItems", {**props, "errorOrNullBehavior": "INCLUDE"}, ctx)
    assert [r["id"] for r in rows(ctx, out["uri"])] == [1, 2]
    out = run(f"{S}.FilterItems", {**props, "errorOrNullBehavior": "EXCLUDE"}, ctx)
    assert [r["id"] for r in rows(ctx, out["uri"])] == [1]


def test_filter_items_keeps_the_original_lines(tmp_path):
    ctx = make_context(tmp_path)
    text = '{id:1,d:2024-01-15,z:ZonedDateTime::"2024-01-15T10:00:00Z",n:12.50}\n{id:2}\n'
    uri = put(ctx, tmp_path, "x.ion", text)
    out = run(f"{S}.FilterItems", {"from": uri, "filterCondition": "{{ id == 1 }}"}, ctx)
    assert ctx.storage.read_text(out["uri"]) == text.splitlines(keepends=True)[0]


def test_filter_items_bad_input(tmp_path):
    ctx = make_context(tmp_path)
    bad = put(ctx, tmp_path, "bad.ion", "{id:1}\n{oops\n")
    with pytest.raises(TaskError, match="line 2 of"):
        run(f"{S}.FilterItems", {"from": bad, "filterCondition": "{{ true }}"}, ctx)
    scalars = put(ctx, tmp_path, "s.ion", "1\n2\n")
    with pytest.raises(TaskError, match="not a struct per line"):
        run(f"{S}.FilterItems", {"from": scalars, "filterCondition": "{{ true }}"}, ctx)
    with pytest.raises(TaskError, match="'filterCondition' is required"):
        run(f"{S}.FilterItems", {"from": scalars}, ctx)


def test_deduplicate_items_keeps_the_last_of_each_key(tmp_path):
    ctx = make_context(tmp_path)
    uri = ion_file(ctx, tmp_path, ITEMS)
    out = run(f"{S}.DeduplicateItems", {"from": uri, "expr": "{{ brand }}"}, ctx)
    assert [r["id"] for r in rows(ctx, out["uri"])] == [2, 3, 4]
    assert (out["numKeys"], out["processedItemsTotal"], out["droppedItemsTotal"]) == (3, 4, 1)
    with pytest.raises(TaskError, match="expr failed on item"):
        run(f"{S}.DeduplicateItems", {"from": uri, "expr": "{{ nope.x }}"}, ctx)


# --------------------------------------------------------------------------- Purge, LocalFiles


def test_purge_current_execution_files(tmp_path):
    ctx = make_context(tmp_path)
    a = put(ctx, tmp_path, "a.txt", "a")
    b = put(ctx, tmp_path, "b.txt", "b")
    other = make_context(tmp_path, storage=ctx.storage, execution_id="other")
    c = put(other, tmp_path, "c.txt", "c")
    out = run(f"{S}.PurgeCurrentExecutionFiles", {}, ctx)
    assert sorted(out["uris"]) == sorted([a, b])
    assert not ctx.storage.exists(a) and ctx.storage.exists(c)


def test_local_files_writes_inputs_and_collects_outputs(tmp_path):
    ctx = make_context(tmp_path)
    out = run(f"{S}.LocalFiles", {"inputs": {"a.txt": "x"}, "outputs": ["*.txt"]}, ctx)
    assert ctx.storage.read_text(out["uris"]["a.txt"]) == "x"
