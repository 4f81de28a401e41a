"""Internal storage over a real local directory and fsspec's real in-memory file system."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from runtime.storage import Storage, StorageError, default_home, slugify

NS, FLOW, EXEC = "company.team", "My_Flow", "5fGhJkLmNpQrStUvWxYz12"


@pytest.fixture(params=["local", "memory"])
def storage(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "local":
        yield Storage(tmp_path / "storage")
        return
    import fsspec

    name = f"flowc-test-{uuid.uuid4().hex}"
    yield Storage(f"memory://{name}")
    memory = fsspec.filesystem("memory")
    if memory.exists(f"/{name}"):
        memory.rm(f"/{name}", recursive=True)


def task_uri(storage: Storage, name: str = "out.ion", taskrun: str = "tr1") -> str:
    return storage.task_uri(NS, FLOW, EXEC, "fetch data", taskrun, name)


# -- URI layout --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("my-flow", "my-flow"),
        ("My_Flow", "my-flow"),
        ("fetch data", "fetch-data"),
        ("a__b--c", "a-b-c"),
        ("_leading_", "leading"),
        ("étape.1", "etape1"),
        ("CamelCase42", "camelcase42"),
    ],
)
def test_slugify_like_kestra(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_uri_layout(tmp_path: Path) -> None:
    s = Storage(tmp_path)
    prefix = f"kestra:///company/team/my-flow/executions/{EXEC}"
    assert s.execution_prefix(NS, FLOW, EXEC) == prefix
    assert s.task_uri(NS, FLOW, EXEC, "fetch_data", "tr1", "a.ion") == (
        f"{prefix}/tasks/fetch-data/tr1/a.ion"
    )
    assert s.input_uri(NS, FLOW, EXEC, "my_file", "data.csv") == f"{prefix}/inputs/my_file/data.csv"
    assert s.trigger_uri(NS, FLOW, EXEC, "on schedule", "t.ion") == (
        f"{prefix}/trigger/on-schedule/t.ion"
    )
    assert s.namespace_file_uri(NS, "scripts/clean.py") == (
        "kestra:///company/team/_files/scripts/clean.py"
    )
    assert s.namespace_file_uri(NS, "/scripts/clean.py") == (
        "kestra:///company/team/_files/scripts/clean.py"
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("nsfile:///scripts/a.py", "kestra:///company/team/_files/scripts/a.py"),
        ("nsfile://other.ns/a.py", "kestra:///other/ns/_files/a.py"),
        ("scripts/a.py", "kestra:///company/team/_files/scripts/a.py"),
        ("a.py", "kestra:///company/team/_files/a.py"),
        ("kestra:///x/y/_files/z.txt", "kestra:///x/y/_files/z.txt"),
    ],
)
def test_resolve(tmp_path: Path, given: str, expected: str) -> None:
    assert Storage(tmp_path).resolve(given, NS) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "kestra:///company/../../etc/passwd",
        "kestra:///company/team/_files/..",
        "kestra:///company/./team/x",
        "kestra:///company/%2e%2e/%2E%2E/etc/passwd",
        "kestra:///company/a%2fb/x",
        "kestra:///company//x",
        "kestra:///company\\..\\x",
        "kestra:///company/x\x00y",
        "kestra://host/company/x",
        "kestra:///",
        "kestra:",
        "file:///etc/passwd",
        "s3://bucket/key",
        "http://example.com/x",
        "/etc/passwd",
        "../outside.txt",
        "nsfile:///../../etc/passwd",
        "nsfile:///a/../../b",
    ],
)
def test_traversal_and_foreign_schemes_refused(tmp_path: Path, bad: str) -> None:
    s = Storage(tmp_path / "storage")
    (tmp_path / "secret.txt").write_text("top secret")
    with pytest.raises(StorageError):
        s.resolve(bad, NS)
    with pytest.raises(StorageError):
        s.read_bytes(bad)
    with pytest.raises(StorageError):
        s.put_bytes(bad, b"x")
    assert not s.is_allowed(bad, NS, FLOW, EXEC)


@pytest.mark.parametrize(
    ("args", "what"),
    [
        ((NS, FLOW, EXEC, "t", "tr", "../x"), "file name"),
        ((NS, FLOW, EXEC, "t", "..", "x"), "task run id"),
        ((NS, FLOW, "../e", "t", "tr", "x"), "execution id"),
        (("company..team", FLOW, EXEC, "t", "tr", "x"), "namespace"),
        ((NS, "???", EXEC, "t", "tr", "x"), "flow id"),
        ((NS, FLOW, EXEC, "t", "tr", "a/b"), "file name"),
    ],
)
def test_builders_refuse_bad_parts(tmp_path: Path, args: tuple[str, ...], what: str) -> None:
    with pytest.raises(StorageError, match=what):
        Storage(tmp_path).task_uri(*args)


def test_traversal_never_touches_outside(tmp_path: Path) -> None:
    s = Storage(tmp_path / "storage")
    with pytest.raises(StorageError):
        s.put_bytes("kestra:///../escaped.txt", b"x")
    with pytest.raises(StorageError):
        s.delete_prefix("kestra:///..")
    with pytest.raises(StorageError, match="storage root"):
        s.delete_prefix("kestra:///")
    assert not (tmp_path / "escaped.txt").exists()


# -- round trips, never overwrite ----------------------------------------------------------------


def test_round_trip_bytes(storage: Storage) -> None:
    uri = task_uri(storage)
    assert not storage.exists(uri)
    assert storage.put_bytes(uri, b"hello\x00world") == uri
    assert storage.exists(uri)
    assert storage.read_bytes(uri) == b"hello\x00world"
    assert storage.size(uri) == 11
    with storage.open(uri) as fh:
        assert fh.read() == b"hello\x00world"


def test_round_trip_text_and_files(storage: Storage, tmp_path: Path) -> None:
    src = tmp_path / "src.csv"
    src.write_text("a,b\n1,é\n", encoding="utf-8")
    uri = task_uri(storage, "src.csv")
    assert storage.put_file(uri, src) == uri
    assert storage.read_text(uri) == "a,b\n1,é\n"
    with storage.open(uri, "r") as fh:
        assert fh.read() == "a,b\n1,é\n"
    dest = storage.get_file(uri, tmp_path / "down" / "deep" / "copy.csv")
    assert dest.read_bytes() == src.read_bytes()


def test_streaming_write(storage: Storage) -> None:
    uri = task_uri(storage, "big.bin")
    with storage.open(uri, "wb") as fh:
        for i in range(100):
            fh.write(bytes([i]) * 1000)
    assert storage.size(uri) == 100_000


def test_failed_streaming_write_stores_nothing(tmp_path: Path) -> None:
    s = Storage(tmp_path)
    uri = task_uri(s, "partial.bin")
    with pytest.raises(RuntimeError), s.open(uri, "wb") as fh:
        fh.write(b"half")
        raise RuntimeError("task died")
    assert not s.exists(uri)
    assert s.list(s.execution_prefix(NS, FLOW, EXEC)) == []
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == []


def test_never_overwrite(storage: Storage, tmp_path: Path) -> None:
    uri = task_uri(storage)
    storage.put_bytes(uri, b"first")
    src = tmp_path / "other"
    src.write_bytes(b"second")
    with pytest.raises(StorageError, match="already exists"):
        storage.put_bytes(uri, b"second")
    with pytest.raises(StorageError, match="already exists"):
        storage.put_file(uri, src)
    with pytest.raises(StorageError, match="already exists"):
        storage.open(uri, "wb")
    assert storage.read_bytes(uri) == b"first"


def test_missing_file(storage: Storage, tmp_path: Path) -> None:
    uri = task_uri(storage, "nope")
    assert not storage.exists(uri)
    assert storage.delete(uri) is False
    for call in (storage.read_bytes, storage.read_text, storage.size, storage.open):
        with pytest.raises(StorageError, match="does not exist"):
            call(uri)
    with pytest.raises(StorageError, match="no such local file"):
        storage.put_file(uri, tmp_path / "absent")


def test_bad_open_mode(storage: Storage) -> None:
    with pytest.raises(StorageError, match="open mode 'ab'"):
        storage.open(task_uri(storage), "ab")


# -- listing and deleting ------------------------------------------------------------------------


def test_list_and_delete_prefix(storage: Storage) -> None:
    uris = [task_uri(storage, f"f{i}.ion", taskrun=f"tr{i % 2}") for i in range(4)]
    for uri in uris:
        storage.put_bytes(uri, b"x")
    input_uri = storage.input_uri(NS, FLOW, EXEC, "data", "in.csv")
    storage.put_bytes(input_uri, b"x")
    # A sibling execution whose id extends this one's must not be listed or purged with it.
    sibling = storage.task_uri(NS, FLOW, EXEC + "X", "t", "tr", "keep.ion")
    storage.put_bytes(sibling, b"keep")

    prefix = storage.execution_prefix(NS, FLOW, EXEC)
    assert storage.list(prefix) == sorted([*uris, input_uri])
    assert storage.list(prefix + "/") == storage.list(prefix)
    assert storage.list(uris[0]) == [uris[0]]
    assert storage.list(prefix + "/tasks/fetch-data/tr1") == sorted(uris[1::2])
    assert storage.list("kestra:///nothing/here") == []
    assert len(storage.list("kestra:///")) == 6

    assert storage.delete(uris[0]) is True
    assert storage.delete(uris[0]) is False
    assert storage.delete_prefix(prefix) == sorted([*uris[1:], input_uri])
    assert storage.list(prefix) == []
    assert storage.read_bytes(sibling) == b"keep"


# -- namespace files -----------------------------------------------------------------------------


def test_namespace_files_in_storage(storage: Storage) -> None:
    uri = storage.resolve("nsfile:///scripts/a.py", NS)
    storage.put_bytes(uri, b"print(1)")
    assert storage.read_text(storage.resolve("scripts/a.py", NS)) == "print(1)"
    assert storage.list("kestra:///company/team/_files") == [uri]


def test_namespace_files_dir(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    (project / "scripts" / "clean.py").write_text("print('from dir')")
    (project / "query.sql").write_text("select 1")
    s = Storage(tmp_path / "storage", namespace_files_dir=project)

    uri = s.resolve("nsfile:///scripts/clean.py", NS)
    assert s.exists(uri)
    assert s.read_text(uri) == "print('from dir')"
    assert s.size(uri) == len("print('from dir')")
    # Any namespace sees the same directory.
    assert s.read_text(s.resolve("nsfile://other.ns/query.sql", NS)) == "select 1"
    # Files stored in `_files` are listed with the directory's; the directory is never written.
    stored = s.namespace_file_uri(NS, "stored.txt")
    s.put_bytes(stored, b"stored")
    assert s.list("kestra:///company/team/_files") == sorted(
        [
            stored,
            "kestra:///company/team/_files/query.sql",
            "kestra:///company/team/_files/scripts/clean.py",
        ]
    )
    assert s.list("kestra:///company/team/_files/scripts") == [uri]
    with pytest.raises(StorageError, match="already exists"):
        s.put_bytes(uri, b"overwrite?")
    assert s.delete(uri) is False
    assert (project / "scripts" / "clean.py").read_text() == "print('from dir')"
    assert sorted(p.name for p in project.rglob("*")) == ["clean.py", "query.sql", "scripts"]
    # Traversal out of the directory is refused.
    with pytest.raises(StorageError):
        s.read_text(s.resolve("nsfile:///../storage/x", NS))


# -- read() scoping ------------------------------------------------------------------------------


def test_is_allowed(tmp_path: Path) -> None:
    s = Storage(tmp_path)
    own = s.task_uri(NS, FLOW, EXEC, "t", "tr", "a.ion")
    parent = s.task_uri("parent.ns", "parent", "PARENTexec", "t", "tr", "p.ion")
    other = s.task_uri(NS, FLOW, "OTHERexec", "t", "tr", "o.ion")
    other_flow = s.task_uri(NS, "other_flow", EXEC, "t", "tr", "x.ion")
    assert s.is_allowed(own, NS, FLOW, EXEC)
    assert s.is_allowed(s.input_uri(NS, FLOW, EXEC, "f", "in.csv"), NS, FLOW, EXEC)
    assert not s.is_allowed(other, NS, FLOW, EXEC)
    assert not s.is_allowed(other_flow, NS, FLOW, EXEC)
    assert not s.is_allowed(parent, NS, FLOW, EXEC)
    assert s.is_allowed(parent, NS, FLOW, EXEC, parent_execution_ids=["PARENTexec"])
    assert s.is_allowed(
        parent, NS, FLOW, EXEC, parent_execution_ids=[("parent.ns", "parent", "PARENTexec")]
    )
    assert not s.is_allowed(
        parent, NS, FLOW, EXEC, parent_execution_ids=[("other.ns", "parent", "PARENTexec")]
    )
    # Namespace files: the flow's own namespace, or an allowed one.
    assert s.is_allowed("nsfile:///a.py", NS, FLOW, EXEC)
    assert s.is_allowed("scripts/a.py", NS, FLOW, EXEC)
    assert s.is_allowed("kestra:///company/team/_files/a.py", NS, FLOW, EXEC)
    assert not s.is_allowed("kestra:///company/_files/a.py", NS, FLOW, EXEC)
    assert not s.is_allowed("nsfile://shared/a.py", NS, FLOW, EXEC)
    assert s.is_allowed("nsfile://shared/a.py", NS, FLOW, EXEC, allowed_namespaces=["shared"])
    # The execution prefix itself is a folder, not a file.
    assert not s.is_allowed(s.execution_prefix(NS, FLOW, EXEC), NS, FLOW, EXEC)


# -- pickling, concurrency, homes --------------------------------------------------------------


def test_pickles(storage: Storage, tmp_path: Path) -> None:
    uri = task_uri(storage)
    storage.put_bytes(uri, b"shipped")
    clone = pickle.loads(pickle.dumps(storage))
    assert clone.base == storage.base
    assert clone.is_local is storage.is_local is True
    assert clone.read_bytes(uri) == b"shipped"
    with pytest.raises(StorageError):
        clone.put_bytes(uri, b"again")


def test_pickles_with_namespace_dir(tmp_path: Path) -> None:
    (tmp_path / "ns").mkdir()
    (tmp_path / "ns" / "a.txt").write_text("A")
    s = pickle.loads(pickle.dumps(Storage(tmp_path / "st", namespace_files_dir=tmp_path / "ns")))
    assert s.namespace_files_dir == str(tmp_path / "ns")
    assert s.read_text(s.resolve("a.txt", NS)) == "A"


def test_pickled_local_storage_works_in_another_process(tmp_path: Path) -> None:
    s = Storage(tmp_path / "st")
    uri = task_uri(s)
    s.put_bytes(uri, b"from parent")
    blob = tmp_path / "storage.pickle"
    blob.write_bytes(pickle.dumps(s))
    code = (
        "import pickle, sys; s = pickle.loads(open(sys.argv[1], 'rb').read()); "
        "print(s.read_text(sys.argv[2])); s.put_bytes(sys.argv[2] + '.2', b'child')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(blob), uri],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "from parent"
    assert s.read_bytes(uri + ".2") == b"child"


def test_concurrent_writers(storage: Storage) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(25):
                storage.put_bytes(
                    task_uri(storage, f"w{n}-{i}.bin", taskrun=f"tr{n}"), bytes([n]) * i
                )
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    listed = storage.list(storage.execution_prefix(NS, FLOW, EXEC))
    assert len(listed) == 8 * 25
    for n in range(8):
        assert (
            storage.read_bytes(task_uri(storage, f"w{n}-7.bin", taskrun=f"tr{n}")) == bytes([n]) * 7
        )


def test_racing_writers_to_one_uri_exactly_one_wins(storage: Storage) -> None:
    uri = task_uri(storage, "contested.bin")
    barrier = threading.Barrier(8)
    wins: list[int] = []
    losses: list[int] = []

    def writer(n: int) -> None:
        barrier.wait()
        try:
            storage.put_bytes(uri, bytes([n]) * 1000)
            wins.append(n)
        except StorageError:
            losses.append(n)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and len(losses) == 7
    assert storage.read_bytes(uri) == bytes([wins[0]]) * 1000


def test_default_home_and_from_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOWC_HOME", raising=False)
    assert default_home() == tmp_path / ".flowc"
    monkeypatch.setenv("FLOWC_HOME", str(tmp_path / "home"))
    assert default_home() == tmp_path / "home"
    s = Storage.from_home()
    assert s.base == str(tmp_path / "home" / "storage")
    assert os.path.isdir(tmp_path / "home" / "storage")
    assert Storage.from_home(tmp_path / "h2").base == str(tmp_path / "h2" / "storage")


def test_relative_base_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = Storage("rel/storage")
    assert s.base == str(tmp_path / "rel" / "storage")
    assert s.is_local
    assert Storage(f"file://{tmp_path}/x").is_local
