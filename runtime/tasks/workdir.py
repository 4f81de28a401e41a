"""Files in and out of a task's working directory (Kestra's ``FilesService``/``ScriptService``).

* :func:`write_input_files` - ``inputFiles``: a map (or a JSON string of one) of relative path ->
  inline content, or a ``kestra://``/``nsfile://`` URI whose file is copied in. A key that is
  absolute or climbs out of the working directory (``../x``) is refused, before anything is
  written.
* :func:`collect_output_files` - ``outputFiles``: Java NIO globs relative to the working directory
  (``*.csv`` top level only, ``**.csv`` / ``**/*.csv`` recursive; ``glob:``/``regex:`` prefixes
  as Kestra). Each match is stored as ``<id>-<name>``; the result maps relative path -> URI.
* :func:`load_namespace_files` - ``namespaceFiles``: copy the namespace's files in.
* :func:`replace_internal_storage` - every ``kestra://`` URI in a rendered script is downloaded
  into the working directory and replaced by its local path.
* :func:`kestra_id` - Kestra's ``IdUtils.from(String)``, used to name stored output files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from compiler.globs import glob_to_regex, java_glob_match
from runtime.errors import TaskError
from runtime.tasks.props import Props

__all__ = [
    "collect_output_files",
    "fetch_to",
    "kestra_id",
    "load_namespace_files",
    "replace_internal_storage",
    "safe_path",
    "stored_name",
    "temp_name",
    "write_input_files",
]

_INTERNAL_STORAGE = re.compile(r"kestra://[-a-zA-Z0-9%._+~#=/]*")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def kestra_id(text: str) -> str:
    """``IdUtils.from``: FriendlyId (base62) of ``UUID.nameUUIDFromBytes(md5(text))``."""
    raw = bytearray(hashlib.md5(hashlib.md5(text.encode("utf-8")).digest()).digest())
    raw[6] = (raw[6] & 0x0F) | 0x30  # version 3
    raw[8] = (raw[8] & 0x3F) | 0x80  # IETF variant
    number = int.from_bytes(raw, "big")
    out = ""
    while number:
        number, digit = divmod(number, 62)
        out = _BASE62[digit] + out
    return out or "0"


def temp_name(extension: str | None = None) -> str:
    """A random file name like Java's ``createTempFile`` gives (``.tmp`` by default)."""
    ext = extension if extension else ".tmp"
    if not ext.startswith("."):
        ext = "." + ext
    return f"{secrets.randbelow(10**18):018d}{ext}"


def stored_name(path: Path) -> str:
    """The storage name of an output file: ``<IdUtils.from(path)>-<url-encoded name>``."""
    from urllib.parse import quote_plus

    return f"{kestra_id(str(path))}-{quote_plus(path.name)}"


def safe_path(workdir: Path, name: str, what: str = "inputFiles key") -> Path:
    """``workdir / name``, refusing absolute names and names that leave ``workdir``."""
    if not isinstance(name, str) or not name.strip():
        raise TaskError(f"{what} {name!r} is empty; name a file relative to the working directory")
    if "\x00" in name:
        raise TaskError(f"{what} {name!r} contains a NUL byte")
    if os.path.isabs(name) or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", name):
        raise TaskError(
            f"{what} '{name}' is an absolute path; name a file relative to the working directory"
        )
    base = workdir.resolve()
    target = (base / name).resolve()
    if target != base and base not in target.parents:
        raise TaskError(
            f"{what} '{name}' would be written outside the working directory; "
            "use a relative path without '..'"
        )
    if target == base:
        raise TaskError(f"{what} '{name}' names the working directory itself, not a file")
    return target


def _is_uri(value: str) -> bool:
    return value.startswith(("kestra://", "nsfile://", "file://"))


def fetch_to(ctx: Any, uri: str, dest: Path) -> Path:
    """Copy a ``kestra://`` or ``nsfile://`` file to ``dest``. ``file://`` is refused (Kestra
    reads local files only from configured allowed paths)."""
    if uri.startswith("file://"):
        raise TaskError(
            f"'{uri}' is a local file URI; flowc does not read local files into tasks: "
            "use a namespace file (nsfile:///...) or an inline value"
        )
    from runtime.errors import StorageError

    try:
        ctx.get_file(uri, dest)
    except StorageError as exc:
        raise TaskError(f"cannot read '{uri}': {exc}") from exc
    return dest


def input_files_map(
    p: Props, name: str = "inputFiles", extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The ``inputFiles`` property as a dict (a map, or a string rendering to a JSON object)."""
    value = p.raw(name)
    if value is None:
        return {}
    if isinstance(value, str):
        rendered = p.render_typed(value, extra)
        if isinstance(rendered, str):
            try:
                rendered = json.loads(rendered)
            except ValueError:
                raise TaskError(
                    f"property '{name}' must be a map of file name to content or URI, "
                    "or a JSON object string"
                ) from None
        if not isinstance(rendered, Mapping):
            raise TaskError(f"property '{name}' must be a map of file name to content or URI")
        return {str(k): v for k, v in rendered.items()}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    raise TaskError(
        f"property '{name}' must be a map of file name to content or URI (got {type(value).__name__})"
    )


def write_input_files(
    ctx: Any,
    workdir: Path,
    files: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``files`` (raw values: rendered here) into ``workdir``; returns name -> path."""
    p = Props({}, ctx)
    planned: list[tuple[str, Path, Any]] = []
    for key, value in files.items():
        name = p.render(key, extra) if isinstance(key, str) else str(key)
        planned.append((name, safe_path(workdir, name), value))  # check every key first
    written: dict[str, Path] = {}
    for name, target, value in planned:
        target.parent.mkdir(parents=True, exist_ok=True)
        if value is None:
            target.write_bytes(b"")
        else:
            if isinstance(value, Mapping | list | tuple):
                content = json.dumps(p.render(value, extra), separators=(",", ":"))
            else:
                content = p.render(value if isinstance(value, str) else str(value), extra)
            if _is_uri(content.strip()) and "\n" not in content.strip():
                fetch_to(ctx, content.strip(), target)
            else:
                target.write_text(content, encoding="utf-8")
        written[name] = target
    return written


def _walk_files(workdir: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(workdir, followlinks=False):
        dirs.sort()
        for f in sorted(files):
            path = Path(root) / f
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return found


def _matcher(workdir: Path, pattern: str):
    if pattern.startswith("regex:"):
        regex = re.compile(pattern[6:])
        return lambda path: regex.fullmatch(str(path)) is not None
    if pattern.startswith("glob:"):
        regex = glob_to_regex(pattern)
        return lambda path: regex.match(str(path)) is not None
    return lambda path: java_glob_match(pattern, path.relative_to(workdir).as_posix())


def match_files(workdir: Path, patterns: Iterable[str]) -> tuple[list[Path], list[str]]:
    """Files under ``workdir`` matching any pattern (each once) and the patterns that matched
    nothing."""
    files = _walk_files(workdir)
    matched: dict[Path, None] = {}
    unmatched = []
    for pattern in patterns:
        if not pattern or not pattern.strip():
            continue
        test = _matcher(workdir, pattern)
        hits = [f for f in files if test(f)]
        if not hits:
            unmatched.append(pattern)
        for f in hits:
            matched[f] = None
    return list(matched), unmatched


def collect_output_files(
    ctx: Any,
    workdir: Path,
    patterns: Iterable[str],
    *,
    strict: bool = True,
    exclude: Iterable[Path] = (),
) -> dict[str, str]:
    """Store the files matching ``patterns``; relative path -> ``kestra://`` URI.

    With ``strict``, a pattern that matches no file fails the task (flowc's rule, see
    docs/tasks.md; Kestra silently ignores it), naming the files that do exist.
    """
    excluded = {Path(p).resolve() for p in exclude}
    patterns = list(patterns)
    files, unmatched = match_files(workdir, patterns)
    files = [f for f in files if f.resolve() not in excluded]
    out: dict[str, str] = {}
    for path in files:
        rel = path.relative_to(workdir).as_posix()
        out[rel] = ctx.put_file(path, stored_name(path))
    if strict and unmatched:
        present = sorted(
            f.relative_to(workdir).as_posix()
            for f in _walk_files(workdir)
            if f.resolve() not in excluded
        )
        listing = ", ".join(present[:20]) + (", ..." if len(present) > 20 else "")
        which = ", ".join(f"'{u}'" for u in unmatched)
        err = TaskError(
            f"outputFiles pattern {which} matched no file in the working directory; "
            + (f"files there: {listing}" if present else "the working directory has no files")
            + " ('*.csv' matches the top level only, '**.csv' every level)"
        )
        err.outputs = {"outputFiles": out}  # type: ignore[attr-defined]
        raise err
    return out


def _ns_matches(patterns: list[str], path: str) -> bool:
    """Kestra's PathMatcherPredicate for namespace files: ``path`` is ``/a/b.py``; a pattern
    starting with a word character gets ``**/`` in front."""
    for pattern in patterns:
        if pattern.startswith(("glob:", "regex:")):
            full = pattern
        else:
            full = "**/" + pattern if re.match(r"\w", pattern) else pattern
        if glob_to_regex(full).match(path) is not None:
            return True
    return False


def load_namespace_files(
    ctx: Any, workdir: Path, p: Props, name: str = "namespaceFiles"
) -> list[str]:
    """Copy namespace files into ``workdir`` per the ``namespaceFiles`` block; returns the
    relative paths written. Only when the block is present and ``enabled`` (default true)."""
    spec = p.raw(name)
    if spec is None:
        return []
    if not isinstance(spec, Mapping):
        raise TaskError(
            f"property '{name}' must be a map (enabled, include, exclude, namespaces, ...)"
        )
    sub = Props(spec, ctx)
    if not sub.boolean("enabled", True):
        return []
    include = sub.list("include") or []
    exclude = sub.list("exclude") or []
    namespaces = sub.list("namespaces") or [ctx.namespace]
    if_exists = sub.choice("ifExists", ("OVERWRITE", "FAIL", "WARN", "IGNORE"), "OVERWRITE")
    per_ns = sub.boolean("folderPerNamespace", False)
    written: list[str] = []
    for ns in namespaces:
        prefix = "kestra:///" + "/".join(ns.split(".")) + "/_files/"
        try:
            uris = ctx.storage.list(prefix)
        except Exception as exc:
            raise TaskError(f"cannot list the namespace files of '{ns}': {exc}") from exc
        for uri in uris:
            rel = uri[len(prefix) :]
            path = "/" + rel
            if include and not _ns_matches(include, path):
                continue
            if exclude and _ns_matches(exclude, path):
                continue
            dest_rel = f"{ns}/{rel}" if per_ns else rel
            target = safe_path(workdir, dest_rel, "namespace file")
            if target.exists():
                if if_exists == "FAIL":
                    raise TaskError(
                        f"namespace file '{dest_rel}' already exists in the working directory"
                    )
                if if_exists in ("WARN", "IGNORE"):
                    if if_exists == "WARN":
                        ctx.log("WARN", f"namespace file '{dest_rel}' already exists; kept")
                    continue
            fetch_to(ctx, uri, target)
            written.append(dest_rel)
    return written


def replace_internal_storage(ctx: Any, workdir: Path, text: str) -> str:
    """Download each ``kestra://`` URI in ``text`` into ``workdir`` (a ``.tmp`` file, as
    Kestra's ``createTempFile``) and put its absolute local path in its place."""
    cache: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        uri = match.group(0)
        if uri not in cache:
            dest = workdir / temp_name()
            fetch_to(ctx, uri, dest)
            cache[uri] = str(dest)
        return cache[uri]

    return _INTERNAL_STORAGE.sub(replace, text)


def new_output_dir(workdir: Path) -> Path:
    """``{{ outputDir }}``: a fresh directory inside the working directory."""
    path = workdir / uuid.uuid4().hex[:22]
    path.mkdir()
    return path
