"""Internal storage: ``kestra://`` URIs over fsspec.

A :class:`Storage` maps Kestra's internal-storage URIs onto a directory: a local path or any
fsspec URL (``s3://bucket/prefix``, ``memory://x``, ``file:///shared/path``). The URI layout is
Kestra's own (``StorageContext``)::

    kestra:///<ns/as/path>/<flow-slug>/executions/<execId>/tasks/<task-slug>/<taskRunId>/<file>
    kestra:///<ns/as/path>/<flow-slug>/executions/<execId>/trigger/<trigger-slug>/<file>
    kestra:///<ns/as/path>/<flow-slug>/executions/<execId>/inputs/<inputId>/<file>
    kestra:///<ns/as/path>/_files/<path>            (namespace files; also nsfile:///<path>)

The URI path is used verbatim as the object path below the base: ``kestra:///a/b`` is stored at
``<base>/a/b``. URIs are not percent-decoded.

Rules every method keeps:

* **Nothing stored is lost.** Writes never overwrite: writing to an existing URI raises
  :class:`StorageError`. On a local file system a write goes to a temporary name in the target
  folder and is then hard-linked into place (``link`` fails if the name exists, so two racing
  writers cannot both win); on object stores the object appears whole when the upload ends.
* **No escapes.** Only ``kestra:///`` URIs with an empty authority are accepted; a ``.``/``..``
  segment (also percent-encoded), an empty segment, a backslash or a NUL byte is refused.
  :meth:`Storage.resolve` turns ``nsfile://`` URIs and relative paths into ``kestra:///`` URIs and
  refuses absolute paths and foreign schemes (``file://``, ``s3://``, ``http://``...).
* **Namespace files from a project directory.** With ``namespace_files_dir`` set, a namespace file
  ``kestra:///<ns>/_files/<path>`` (and so ``nsfile:///<path>``) is read from
  ``<namespace_files_dir>/<path>`` — the same directory serves every namespace, as a project
  folder does in local development. The directory wins over a copy in storage (the user edits
  it between runs, and stored files are never overwritten, so a stored copy could be stale).
  Nothing ever writes to or deletes from that directory.

A :class:`Storage` pickles (the Dask executor ships it to workers): it is rebuilt from its base
URL. ``memory://`` storage lives in one process only, so it counts as local (:attr:`is_local`).
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote

try:  # the runtime's exception tree, once it exists
    from runtime.errors import StorageError
except ImportError:  # pragma: no cover - until runtime/errors.py lands

    class StorageError(Exception):  # type: ignore[no-redef]
        """Raised when a storage URI is invalid, missing, refused or already exists."""


__all__ = [
    "FILES_DIR",
    "KESTRA_PREFIX",
    "NSFILE_SCHEME",
    "Storage",
    "StorageError",
    "default_home",
    "slugify",
]

KESTRA_PREFIX = "kestra:///"
NSFILE_SCHEME = "nsfile://"
FILES_DIR = "_files"

_TMP_SUFFIX = ".flowc-part"  # temporary names: ".<name>.<random>.flowc-part", never listed
_JAVA_WHITESPACE = re.compile(r"[ \t\n\x0b\f\r]")  # Java's \s
_NOT_WORD_OR_DASH = re.compile(r"[^A-Za-z0-9_-]")  # Java's [^\w-] (ASCII \w)
_DASHES = re.compile(r"-{2,}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def default_home() -> Path:
    """The flowc home: ``$FLOWC_HOME`` if set, else ``.flowc`` in the current directory."""
    env = os.environ.get("FLOWC_HOME")
    return Path(env).expanduser() if env else Path.cwd() / ".flowc"


def slugify(text: str) -> str:
    """Kestra's ``Slugify.of``: whitespace to ``-``, accents dropped, only ``[a-z0-9-]`` kept.

    ``"My_Flow v2"`` -> ``"my-flow-v2"``; ``"étape.1"`` -> ``"etape1"``.
    """
    slug = _JAVA_WHITESPACE.sub("-", text)
    slug = unicodedata.normalize("NFD", slug)
    slug = _NOT_WORD_OR_DASH.sub("", slug).replace("_", "-")
    slug = _DASHES.sub("-", slug)
    slug = slug.removeprefix("-").removesuffix("-")
    return slug.lower()


def _check_segment(value: object, what: str) -> str:
    """Return ``value`` if it is one safe path segment, else raise StorageError."""
    if not isinstance(value, str) or not value:
        raise StorageError(f"{what} {value!r} is empty or not a string")
    decoded = unquote(value)
    if (
        value in (".", "..")
        or decoded in (".", "..")
        or "/" in value
        or "/" in decoded
        or "\\" in decoded
        or "\x00" in decoded
    ):
        raise StorageError(
            f"{what} '{value}' is not a single path segment; '/', '\\', NUL, '.' and '..' "
            "are refused"
        )
    return value


def _slug_segment(value: str, what: str) -> str:
    slug = slugify(_check_segment(value, what))
    if not slug:
        raise StorageError(f"{what} '{value}' slugifies to nothing; use letters or digits")
    return slug


def _namespace_segments(namespace: str) -> list[str]:
    if not isinstance(namespace, str) or not namespace:
        raise StorageError(f"namespace {namespace!r} is empty or not a string")
    return [_check_segment(part, f"namespace '{namespace}' part") for part in namespace.split(".")]


def _relative_segments(path: str, what: str) -> list[str]:
    """Split a relative '/'-separated path (leading '/' tolerated) into checked segments."""
    if not isinstance(path, str):
        raise StorageError(f"{what} {path!r} is not a string")
    body = path.lstrip("/")
    if not body:
        raise StorageError(f"{what} '{path}' is empty")
    return [_check_segment(seg, f"{what} '{path}' segment") for seg in body.split("/")]


def _uri_segments(uri: str, *, prefix: bool = False) -> list[str]:
    """Checked path segments of a ``kestra:///`` URI; ``prefix`` allows a trailing '/' or root."""
    if not isinstance(uri, str):
        raise StorageError(f"storage URI {uri!r} is not a string")
    if not uri.startswith("kestra://"):
        scheme = _SCHEME.match(uri)
        if uri.startswith("kestra:"):
            raise StorageError(f"'{uri}' is not a well-formed 'kestra:///<namespace>/...' URI")
        if uri.startswith(NSFILE_SCHEME):
            raise StorageError(f"'{uri}' names a namespace file; resolve() it with the namespace")
        if scheme:
            raise StorageError(
                f"'{uri}' uses the foreign scheme '{scheme.group(0)}//'; "
                "internal storage only reads 'kestra:///' URIs"
            )
        raise StorageError(f"'{uri}' is not a 'kestra:///' URI; resolve relative paths first")
    if not uri.startswith(KESTRA_PREFIX):
        raise StorageError(
            f"'{uri}' has an authority; internal storage URIs look like 'kestra:///<namespace>/...'"
        )
    body = uri[len(KESTRA_PREFIX) :]
    if prefix:
        body = body.removesuffix("/")
        if not body:
            return []
    if not body:
        raise StorageError(f"'{uri}' names no file")
    return [_check_segment(seg, f"'{uri}' segment") for seg in body.split("/")]


def _to_uri(segments: Iterable[str]) -> str:
    return KESTRA_PREFIX + "/".join(segments)


def _namespace_file_parts(segments: list[str]) -> tuple[list[str], list[str]] | None:
    """``(namespace segments, path segments)`` if ``segments`` address namespace files.

    The first ``_files`` segment after the namespace marks them, unless an execution path
    (``<ns>/<flow>/executions/...``, so ``executions`` at index 2 or later) comes first.
    """
    if FILES_DIR not in segments:
        return None
    i = segments.index(FILES_DIR)
    if i < 1 or "executions" in segments[2:i]:
        return None
    return segments[:i], segments[i + 1 :]


def _execution_id_of(segments: list[str]) -> str | None:
    for k in range(2, len(segments) - 1):
        if segments[k] == "executions":
            return segments[k + 1]
    return None


def _is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(_TMP_SUFFIX)


def _is_local_fs(fs: Any) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(fs, LocalFileSystem)


def _link_no_overwrite(tmp: str, dest: str, uri: str) -> None:
    """Move ``tmp`` to ``dest`` atomically, failing if ``dest`` exists."""
    try:
        os.link(tmp, dest)
    except FileExistsError:
        raise StorageError(f"'{uri}' already exists; stored files are never overwritten") from None
    except OSError:
        # File systems without hard links: check, then rename (a racing writer could win).
        if os.path.lexists(dest):
            raise StorageError(
                f"'{uri}' already exists; stored files are never overwritten"
            ) from None
        os.replace(tmp, dest)


class _AtomicLocalFile(io.FileIO):
    """A write handle on a temporary file, linked to its final name on a clean close."""

    def __init__(self, fd: int, tmp: str, dest: str, uri: str) -> None:
        super().__init__(fd, "wb", closefd=True)
        self._tmp, self._dest, self._uri = tmp, dest, uri
        self._finished = False

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        if not self._finished:
            self._finished = True
            try:
                _link_no_overwrite(self._tmp, self._dest, self._uri)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._tmp)

    def discard(self) -> None:
        """Close without storing anything."""
        self._finished = True
        super().close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._tmp)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.discard()
        else:
            self.close()


class Storage:
    """Internal storage rooted at ``base``: a local directory or an fsspec URL.

    (Annotations below ``list`` say ``builtins.list``: inside the class, ``list`` is the method.)

    ``namespace_files_dir`` (local path or fsspec URL) serves namespace files read-only, as
    ``<namespace_files_dir>/<path>`` for every namespace. ``storage_options`` go to fsspec.
    """

    def __init__(
        self,
        base: str | os.PathLike[str],
        namespace_files_dir: str | os.PathLike[str] | None = None,
        **storage_options: Any,
    ) -> None:
        from fsspec.core import url_to_fs  # imported here so `flowc lint` never loads fsspec
        from fsspec.implementations.local import LocalFileSystem

        base_s = os.fspath(base)
        if "://" not in base_s:
            base_s = os.path.abspath(os.path.expanduser(base_s))
        self._base = base_s
        self._storage_options = dict(storage_options)
        self._fs, root = url_to_fs(base_s, **storage_options)
        self._local = isinstance(self._fs, LocalFileSystem)
        self._root = root.rstrip("/") if root != "/" else ""
        if self._local:
            os.makedirs(self._root or "/", exist_ok=True)
        self._lock = threading.Lock()  # check-then-write on object stores, within one process

        self._nsdir_arg: str | None = None
        self._nsfs: Any = None
        self._nsroot = ""
        if namespace_files_dir is not None:
            nsdir = os.fspath(namespace_files_dir)
            if "://" not in nsdir:
                nsdir = os.path.abspath(os.path.expanduser(nsdir))
            self._nsdir_arg = nsdir
            self._nsfs, nsroot = url_to_fs(nsdir)
            self._nsroot = nsroot.rstrip("/")

    @classmethod
    def from_home(
        cls,
        home: str | os.PathLike[str] | None = None,
        namespace_files_dir: str | os.PathLike[str] | None = None,
    ) -> Storage:
        """The storage of a flowc home (``<home>/storage``); ``home`` defaults to default_home()."""
        root = Path(home) if home is not None else default_home()
        return cls(root / "storage", namespace_files_dir=namespace_files_dir)

    # -- identity, pickling ------------------------------------------------------------------

    @property
    def base(self) -> str:
        """The base directory or URL, as given (local paths made absolute)."""
        return self._base

    @property
    def namespace_files_dir(self) -> str | None:
        return self._nsdir_arg

    @property
    def is_local(self) -> bool:
        """True when only this machine can reach the files (local disk or ``memory://``)."""
        protocols = self._fs.protocol
        protocols = (protocols,) if isinstance(protocols, str) else tuple(protocols)
        return self._local or "memory" in protocols

    def __repr__(self) -> str:
        extra = f", namespace_files_dir={self._nsdir_arg!r}" if self._nsdir_arg else ""
        return f"Storage({self._base!r}{extra})"

    def __getstate__(self) -> dict[str, Any]:
        return {
            "base": self._base,
            "namespace_files_dir": self._nsdir_arg,
            "storage_options": self._storage_options,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["base"], state["namespace_files_dir"], **state["storage_options"]
        )

    # -- building URIs -----------------------------------------------------------------------

    def execution_prefix(self, namespace: str, flow_id: str, execution_id: str) -> str:
        """``kestra:///<ns>/<flow-slug>/executions/<execId>`` (no trailing '/', as Kestra)."""
        return _to_uri(
            [
                *_namespace_segments(namespace),
                _slug_segment(flow_id, "flow id"),
                "executions",
                _check_segment(execution_id, "execution id"),
            ]
        )

    def task_uri(
        self,
        namespace: str,
        flow_id: str,
        execution_id: str,
        task_id: str,
        taskrun_id: str,
        filename: str,
    ) -> str:
        """The URI of a file a task run stores."""
        return "/".join(
            [
                self.execution_prefix(namespace, flow_id, execution_id),
                "tasks",
                _slug_segment(task_id, "task id"),
                _check_segment(taskrun_id, "task run id"),
                _check_segment(filename, "file name"),
            ]
        )

    def trigger_uri(
        self, namespace: str, flow_id: str, execution_id: str, trigger_id: str, filename: str
    ) -> str:
        """The URI of a file a trigger stores."""
        return "/".join(
            [
                self.execution_prefix(namespace, flow_id, execution_id),
                "trigger",
                _slug_segment(trigger_id, "trigger id"),
                _check_segment(filename, "file name"),
            ]
        )

    def input_uri(
        self, namespace: str, flow_id: str, execution_id: str, input_id: str, filename: str
    ) -> str:
        """The URI of a FILE input (the input id is not slugified, as in Kestra)."""
        return "/".join(
            [
                self.execution_prefix(namespace, flow_id, execution_id),
                "inputs",
                _check_segment(input_id, "input id"),
                _check_segment(filename, "file name"),
            ]
        )

    def namespace_file_uri(self, namespace: str, path: str) -> str:
        """``kestra:///<ns/as/path>/_files/<path>``; a leading '/' in ``path`` is dropped."""
        return _to_uri(
            [
                *_namespace_segments(namespace),
                FILES_DIR,
                *_relative_segments(path, "namespace file"),
            ]
        )

    def resolve(self, uri: str, namespace: str) -> str:
        """Turn what a flow may name into a checked ``kestra:///`` URI.

        ``kestra:///...`` is checked and returned; ``nsfile:///path`` and a relative ``path``
        become namespace files of ``namespace``; ``nsfile://other.ns/path`` of ``other.ns``.
        Absolute paths and other schemes are refused.
        """
        if not isinstance(uri, str):
            raise StorageError(f"storage URI {uri!r} is not a string")
        if uri.startswith("kestra:"):
            return _to_uri(_uri_segments(uri))
        if uri.startswith(NSFILE_SCHEME):
            rest = uri[len(NSFILE_SCHEME) :]
            authority, _, path = rest.partition("/")
            return self.namespace_file_uri(authority or namespace, path)
        if _SCHEME.match(uri):
            raise StorageError(
                f"'{uri}' uses a foreign scheme; expected 'kestra:///', 'nsfile:///' or a "
                "relative namespace file path"
            )
        if uri.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", uri):
            raise StorageError(
                f"'{uri}' is an absolute path; name a namespace file relatively or as "
                f"'nsfile:///{uri.lstrip('/')}'"
            )
        return self.namespace_file_uri(namespace, uri)

    def is_allowed(
        self,
        uri: str,
        namespace: str,
        flow_id: str,
        execution_id: str,
        parent_execution_ids: Iterable[str | tuple[str, str, str]] = (),
        allowed_namespaces: Iterable[str] = (),
    ) -> bool:
        """May an execution ``read()`` this URI?

        Allowed: the execution's own files, a parent execution's files, and namespace files of
        ``namespace`` or of ``allowed_namespaces``. A parent is an execution id (any file whose
        path has ``/executions/<id>/``) or a ``(namespace, flow_id, execution_id)`` triple.
        ``nsfile://`` URIs and relative paths are resolved against ``namespace`` first. A
        malformed URI is simply not allowed.
        """
        try:
            segments = _uri_segments(self.resolve(uri, namespace))
            own = _uri_segments(self.execution_prefix(namespace, flow_id, execution_id))
            if segments[: len(own)] == own and len(segments) > len(own):
                return True
            exec_id = _execution_id_of(segments)
            for parent in parent_execution_ids:
                if isinstance(parent, str):
                    if exec_id == parent:
                        return True
                else:
                    prefix = _uri_segments(self.execution_prefix(*parent))
                    if segments[: len(prefix)] == prefix and len(segments) > len(prefix):
                        return True
            parts = _namespace_file_parts(segments)
            if parts is not None and parts[1]:
                for ns in (namespace, *allowed_namespaces):
                    if parts[0] == _namespace_segments(ns):
                        return True
        except StorageError:
            return False
        return False

    # -- paths ---------------------------------------------------------------------------------

    def _path(self, segments: list[str]) -> str:
        if self._local:
            return os.path.join(self._root or "/", *segments)
        return "/".join([self._root, *segments]) if self._root else "/".join(segments)

    def _nsdir_path(self, segments: list[str]) -> str | None:
        """Where a namespace-file URI lives in ``namespace_files_dir``, if one is set."""
        if self._nsfs is None:
            return None
        parts = _namespace_file_parts(segments)
        if parts is None or not parts[1]:
            return None
        return "/".join([self._nsroot, *parts[1]])

    def _locate(self, uri: str) -> tuple[Any, str]:
        """``(fs, path)`` to read ``uri`` from: the namespace files dir first, then storage."""
        segments = _uri_segments(uri)
        nspath = self._nsdir_path(segments)
        if nspath is not None and self._nsfs.isfile(nspath):
            return self._nsfs, nspath
        return self._fs, self._path(segments)

    def _exists_msg(self, uri: str) -> str:
        return f"'{uri}' already exists; stored files are never overwritten"

    # -- writing -----------------------------------------------------------------------------

    def _local_temp(self, dest: str) -> tuple[int, str]:
        folder = os.path.dirname(dest)
        os.makedirs(folder, exist_ok=True)
        return tempfile.mkstemp(
            prefix="." + os.path.basename(dest)[:40] + ".", suffix=_TMP_SUFFIX, dir=folder
        )

    def _check_writable(self, uri: str, segments: list[str]) -> None:
        nspath = self._nsdir_path(segments)
        if nspath is not None and self._nsfs.exists(nspath):
            raise StorageError(self._exists_msg(uri))

    def put_bytes(self, uri: str, data: bytes) -> str:
        """Store ``data`` at ``uri``; returns the URI. Raises StorageError if it exists."""
        with self.open(uri, "wb") as fh:
            fh.write(data)
        return _to_uri(_uri_segments(uri))

    def put_file(self, uri: str, local_path: str | os.PathLike[str]) -> str:
        """Copy a local file to ``uri``; returns the URI. Raises StorageError if it exists."""
        segments = _uri_segments(uri)
        uri = _to_uri(segments)
        src = os.fspath(local_path)
        if not os.path.isfile(src):
            raise StorageError(f"cannot store '{src}' at '{uri}': no such local file")
        self._check_writable(uri, segments)
        dest = self._path(segments)
        if self._local:
            if os.path.lexists(dest):
                raise StorageError(self._exists_msg(uri))
            fd, tmp = self._local_temp(dest)
            try:
                with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
                    shutil.copyfileobj(inp, out, 1024 * 1024)
                _link_no_overwrite(tmp, dest, uri)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
            return uri
        with self._lock:
            if self._fs.exists(dest):
                raise StorageError(self._exists_msg(uri))
            self._fs.put_file(src, dest)
        return uri

    def open(self, uri: str, mode: str = "rb") -> IO[Any]:
        """Open ``uri``: ``"rb"``/``"r"`` (UTF-8) to read, ``"wb"``/``"xb"`` to create.

        A write handle stores the file when it is closed cleanly; leaving a ``with`` block by an
        exception stores nothing (local storage). Creating an existing URI raises StorageError.
        """
        if mode in ("rb", "r"):
            fs, path = self._locate(uri)
            try:
                if _is_local_fs(fs):
                    if mode == "r":
                        return open(path, encoding="utf-8")  # noqa: SIM115 - handed to caller
                    return open(path, "rb")  # noqa: SIM115
                handle = fs.open(path, "rb")
                return io.TextIOWrapper(handle, encoding="utf-8") if mode == "r" else handle
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                raise StorageError(f"'{uri}' does not exist in internal storage") from None
        if mode in ("wb", "xb"):
            segments = _uri_segments(uri)
            uri = _to_uri(segments)
            self._check_writable(uri, segments)
            dest = self._path(segments)
            if self._local:
                if os.path.lexists(dest):
                    raise StorageError(self._exists_msg(uri))
                fd, tmp = self._local_temp(dest)
                return _AtomicLocalFile(fd, tmp, dest, uri)
            with self._lock:
                if self._fs.exists(dest):
                    raise StorageError(self._exists_msg(uri))
                return self._fs.open(dest, "wb")
        raise StorageError(f"open mode '{mode}' is not supported; use 'rb', 'r', 'wb' or 'xb'")

    # -- reading -----------------------------------------------------------------------------

    def read_bytes(self, uri: str) -> bytes:
        with self.open(uri, "rb") as fh:
            return fh.read()

    def read_text(self, uri: str, encoding: str = "utf-8") -> str:
        return self.read_bytes(uri).decode(encoding)

    def get_file(self, uri: str, local_path: str | os.PathLike[str]) -> Path:
        """Copy ``uri`` to ``local_path`` (parents created, an existing file replaced)."""
        dest = Path(local_path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with self.open(uri, "rb") as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out, 1024 * 1024)
        return dest

    def exists(self, uri: str) -> bool:
        fs, path = self._locate(uri)
        return bool(fs.isfile(path))

    def size(self, uri: str) -> int:
        fs, path = self._locate(uri)
        if not fs.isfile(path):
            raise StorageError(f"'{uri}' does not exist in internal storage")
        return int(fs.size(path))

    def list(self, prefix_uri: str) -> builtins.list[str]:
        """Every file URI below ``prefix_uri`` (a folder; or the file itself), sorted."""
        segments = _uri_segments(prefix_uri, prefix=True)
        found = set(self._find(self._fs, self._path(segments), segments))
        # A prefix at or below `<ns>/_files` also lists the namespace files directory.
        parts = _namespace_file_parts([*segments, "x"])
        if self._nsfs is not None and parts is not None:
            folder = parts[1][:-1]  # the prefix's path below `_files`
            for rel in self._find_rel(self._nsfs, "/".join([self._nsroot, *folder])):
                found.add(_to_uri([*segments, *rel]))
        return sorted(found)

    def _find(self, fs: Any, path: str, segments: builtins.list[str]) -> builtins.list[str]:
        return [_to_uri([*segments, *rel]) for rel in self._find_rel(fs, path)]

    @staticmethod
    def _find_rel(fs: Any, path: str) -> builtins.list[builtins.list[str]]:
        """Relative segment lists of the files below ``path`` (or ``[[]]`` if it is a file)."""
        try:
            if fs.isfile(path):
                return [[]]
            if not fs.isdir(path):
                return []
            found = fs.find(path)
        except FileNotFoundError:
            return []
        head = fs._strip_protocol(path).rstrip("/") + "/"
        out = []
        for item in found:
            rel = item[len(head) :] if item.startswith(head) else None
            if not rel:
                continue
            parts = rel.split("/")
            if not _is_temp(parts[-1]):
                out.append(parts)
        return out

    # -- deleting ----------------------------------------------------------------------------

    def delete(self, uri: str) -> bool:
        """Delete one stored file; False if there was none. Never touches namespace_files_dir."""
        path = self._path(_uri_segments(uri))
        try:
            if not self._fs.isfile(path):
                return False
            self._fs.rm_file(path)
        except FileNotFoundError:
            return False
        return True

    def delete_prefix(self, prefix_uri: str) -> builtins.list[str]:
        """Delete every stored file below ``prefix_uri`` (a folder); returns their URIs."""
        segments = _uri_segments(prefix_uri, prefix=True)
        if not segments:
            raise StorageError(f"'{prefix_uri}' is the storage root; refusing to delete everything")
        path = self._path(segments)
        uris = self._find(self._fs, path, segments)
        deleted = [uri for uri in uris if self.delete(uri)]
        if self._local and os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif not self._local:
            with contextlib.suppress(FileNotFoundError, OSError):
                if self._fs.isdir(path):
                    self._fs.rm(path, recursive=True)
        return sorted(deleted)
