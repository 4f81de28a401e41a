"""The Dask executor: task bodies run on the workers of a ``distributed`` cluster.

The driver (``flowc run``) keeps the plan, the state store and every decision; a Dask worker
gets one pickled :class:`~runtime.worker.Invocation` and sends back an
:class:`~runtime.worker.Outcome`. Two ways in::

    DaskExecutor.create("dask", scheduler="tcp://host:8786", storage=storage)  # a running cluster
    DaskExecutor.create("dask-local", workers=2, storage=storage)  # a LocalCluster for this run

**Storage every worker reaches.** Files go through the internal storage, so it must be readable
wherever a task runs. Where a storage lives (:func:`reach`):

* ``process`` — ``memory://``: only this process sees it; refused for every Dask executor.
* ``host`` — a local disk: fine for ``dask-local`` and for a cluster whose scheduler and
  workers all run on this host; refused for any other cluster, before connecting to it.
* ``shared`` — a local path on a network file system (NFS, CIFS, Lustre...): accepted; the
  workers on other hosts must see a probe file written there, or the run is refused.
* ``remote`` — an object store or any other fsspec URL (``s3://bucket/prefix``): accepted.

The namespace files directory (``--namespace-files``) follows the same rule. A task that
needs this host's disk anyway (a ``WorkingDirectory`` child, a ``host`` storage) carries the
driver's host name, and a worker elsewhere fails it with a message instead of losing files.

**A worker lost mid-task.** Dask runs a task again when its worker dies (up to the scheduler's
``distributed.scheduler.allowed-failures``, 3 by default); when the scheduler gives up
(``KilledWorker``) after fewer than :data:`LOST_LIMIT` lost runs (a scheduler configured with
``allowed-failures: 0``), this executor submits the task again itself. The scheduler's
``remove-worker`` events (topic ``all``) name the tasks each lost worker held, so the outcome
that comes back carries one WARN line per lost run: ``worker X was lost; ran again on Y``;
nothing is sent per task for this. More than :data:`LOST_LIMIT` lost runs fail the attempt (a
task that kills its worker, say by exhausting memory, would kill the next one too); the task's
``retry`` policy then decides, as for any failure.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Any

from distributed import Client, KilledWorker, LocalCluster, get_worker
from distributed.comm import get_address_host, parse_address

from runtime.executors.base import Executor
from runtime.tasks.base import LogLine
from runtime.worker import Outcome

__all__ = ["LOST_LIMIT", "DaskExecutor", "DaskExecutorError", "reach"]

#: lost runs (dead workers) one attempt may suffer before it fails
LOST_LIMIT = 3
#: the scheduler's event topic that reports workers leaving (with the tasks they held)
EVENT_TOPIC = "all"
DEFAULT_LOCAL_WORKERS = 2
#: threads per dask-local worker: 2 workers x 4 = the thread executor's default of 8 at once
DEFAULT_LOCAL_THREADS = 4
CONNECT_TIMEOUT = "10s"

#: file system types whose paths other hosts can mount too
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "lustre",
        "gpfs",
        "ceph",
        "cephfs",
        "glusterfs",
        "fuse.glusterfs",
        "beegfs",
        "fuse.sshfs",
        "fuse.s3fs",
        "fuse.gcsfuse",
        "fuse.juicefs",
        "fuse.cephfs",
        "9p",
        "afs",
        "panfs",
        "wekafs",
    }
)


class DaskExecutorError(ValueError):
    """A Dask executor cannot be set up: a bad option, storage the workers cannot reach, or a
    scheduler that does not answer. A ``ValueError``, so the CLI prints it as one line."""


# -- where things live ---------------------------------------------------------------------


def reach(url: str) -> str:
    """Who can read files at ``url`` (a path or fsspec URL): ``process``, ``host``,
    ``shared`` or ``remote`` (see the module docstring)."""
    from fsspec.core import url_to_fs
    from fsspec.implementations.local import LocalFileSystem

    fs, path = url_to_fs(url)
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    if "memory" in protocols:
        return "process"
    if not isinstance(fs, LocalFileSystem):
        return "remote"
    return "shared" if _filesystem_type(path) in NETWORK_FILESYSTEMS else "host"


def _filesystem_type(path: str) -> str:
    """The type of the file system holding ``path`` (its longest mount point), or ''."""
    import psutil

    real = os.path.realpath(path)
    best, kind = "", ""
    with contextlib.suppress(OSError):
        for part in psutil.disk_partitions(all=True):
            mount = part.mountpoint.rstrip("/") or "/"
            inside = real == mount or real.startswith(mount.rstrip("/") + "/")
            if inside and len(mount) >= len(best):
                best, kind = mount, part.fstype.lower()
    return kind


def _local_addresses() -> set[str]:
    import psutil

    found = {"127.0.0.1", "::1"}
    with contextlib.suppress(OSError):
        for addrs in psutil.net_if_addrs().values():
            for addr in addrs:
                if addr.family in (socket.AF_INET, socket.AF_INET6):
                    found.add(addr.address.split("%")[0])
    return found


def is_this_host(host: str) -> bool:
    """True if ``host`` (an IP or a name from a Dask address) is this machine.

    IP literals are compared with this host's interfaces, without any traffic; names other
    than ``localhost`` and this host's own name are resolved as connecting would resolve them.
    """
    host = host.strip("[]")
    if not host or host.lower() in ("localhost", socket.gethostname().lower()):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError:
            return False
        ips = {info[4][0] for info in infos}
        return bool(ips) and all(is_this_host(ip) for ip in ips)
    return ip.is_loopback or str(ip) in _local_addresses()


def _address_host(address: str) -> str:
    """The host of a Dask address (``tcp://10.0.0.5:8786`` -> ``10.0.0.5``); '' in-process."""
    scheme, _ = parse_address(address)
    if scheme == "inproc":
        return ""
    return get_address_host(address)


def _storage_places(storage: Any) -> list[tuple[str, str, str]]:
    """``(what, url, reach)`` for the storage base and its namespace files directory."""
    places = [("the internal storage", storage.base, reach(storage.base))]
    nsdir = getattr(storage, "namespace_files_dir", None)
    if nsdir:
        places.append(("the namespace files directory", nsdir, reach(nsdir)))
    return places


def _refuse_local(what: str, url: str) -> DaskExecutorError:
    return DaskExecutorError(
        f"{what} {url} is local to this machine: workers on other hosts cannot read its "
        "files; use --storage s3://bucket/prefix or a shared path"
    )


def _check_storage(storage: Any, remote_cluster: bool) -> None:
    """Refuse storage the workers cannot reach (before connecting when we already know)."""
    for what, url, where in _storage_places(storage):
        if where == "process":
            raise DaskExecutorError(
                f"{what} {url} lives in this process only: Dask workers run in other "
                "processes; use a local path, s3://bucket/prefix or a shared path"
            )
        if where == "host" and remote_cluster:
            raise _refuse_local(what, url)


def _probe_shared(client: Client, storage: Any, workers: list[str]) -> None:
    """Each worker in ``workers`` must see a file written on a shared path."""
    for what, url, where in _storage_places(storage):
        if where != "shared":
            continue
        from fsspec.core import url_to_fs

        _, root = url_to_fs(url)
        probe = os.path.join(root, f".flowc-probe-{uuid.uuid4().hex}")
        with open(probe, "w") as fh:
            fh.write("flowc")
        try:
            seen = client.run(os.path.exists, probe, workers=workers)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(probe)
        blind = sorted(w for w, ok in seen.items() if not ok)
        if blind:
            raise DaskExecutorError(
                f"{what} {url} is not visible to the workers {', '.join(blind)}: mount the "
                "same path on every host, or use --storage s3://bucket/prefix"
            )


# -- what runs on a worker -------------------------------------------------------------------


def _run_on_worker(fn: Callable[[Any], Any], arg: Any, host: str | None) -> Any:
    """Run ``fn(arg)`` and name the worker in its outcome; refuse if the task needs the
    driver's disk (``host``) and this worker runs elsewhere."""
    address = get_worker().address
    if host is not None and socket.gethostname() != host:
        now = time.time()
        return Outcome(
            state="FAILED",
            error=(
                f"this task needs files on the driver's host '{host}' (local storage or a "
                f"WorkingDirectory), but worker {address} runs on '{socket.gethostname()}'; "
                "use --storage s3://bucket/prefix or a shared path"
            ),
            worker=address,
            start=now,
            end=now,
        )
    result = fn(arg)
    if hasattr(result, "worker"):
        result.worker = address
    return result


def _warm_up() -> int:
    """Import the task library on a worker (so the first task does not pay for it); fails
    on a worker where flowc is not installed."""
    from runtime.tasks import implemented_types

    return len(implemented_types())


# -- the executor ----------------------------------------------------------------------------


@dataclass
class _Job:
    """One submitted attempt; it may run on several workers if some are lost."""

    fn: Callable[[Any], Any]
    arg: Any
    host: str | None
    result: Future = field(default_factory=Future)
    key: str = ""  # the Dask key of the latest submission
    lost: list[str] = field(default_factory=list)  # workers that died while holding it
    lost_runs: int = 0  # as Dask counts them: allowed failures + 1 per KilledWorker


class DaskExecutor(Executor):
    """Runs task bodies on a Dask cluster; see the module docstring.

    ``scheduler`` is an address (``tcp://host:8786``), a cluster object (its
    ``scheduler_address`` is used) or a :class:`distributed.Client` (used as is, never
    closed). ``storage`` is checked for reach before anything connects; ``None`` skips the
    checks. ``cluster`` is a cluster this executor started and closes on :meth:`shutdown`.
    """

    name = "dask"
    local = False

    def __init__(
        self,
        scheduler: str | Client | Any,
        *,
        storage: Any = None,
        cluster: Any = None,
        label: str = "dask",
    ) -> None:
        self._cluster = cluster
        self._label = label
        self._storage = storage
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}  # by Dask key
        self._closed = False
        address = scheduler if isinstance(scheduler, str) else None
        if address is None and not isinstance(scheduler, Client):
            address = scheduler.scheduler_address  # a cluster object
        scheduler_remote = False
        if address is not None:
            try:
                scheduler_remote = not is_this_host(_address_host(address))
            except ValueError as exc:
                raise DaskExecutorError(
                    f"'{address}' is not a Dask scheduler address; use tcp://HOST:8786 ({exc})"
                ) from None
        if storage is not None:
            _check_storage(storage, remote_cluster=scheduler_remote)
        if isinstance(scheduler, Client):
            self._client, self._own_client = scheduler, False
        else:
            try:
                self._client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise DaskExecutorError(
                    f"cannot reach the Dask scheduler at '{address}': {exc}; start one with "
                    "'dask scheduler' or use --executor dask-local"
                ) from None
            self._own_client = True
        try:
            #: fetch results straight from the workers when they all run on this host (else
            #: Dask's default: through the scheduler, which any client can reach)
            self._direct = self._check_workers()
        except BaseException:
            self.shutdown()
            raise
        self._address = self._client.scheduler.address
        reaches = {w for _, _, w in _storage_places(storage)} if storage is not None else set()
        #: set when tasks need this host's disk: a worker elsewhere refuses them
        self._pinned_host = socket.gethostname() if "host" in reaches else None
        self._client.subscribe_topic(EVENT_TOPIC, self._on_event)

    @classmethod
    def create(
        cls,
        kind: str,
        *,
        scheduler: str | None = None,
        workers: int | None = None,
        storage: Any = None,
        threads_per_worker: int | None = None,
    ) -> DaskExecutor:
        """The CLI's entry: ``dask`` connects to ``scheduler``; ``dask-local`` starts a
        LocalCluster of ``workers`` processes (default 2) on 127.0.0.1 for this run."""
        if kind == "dask":
            if not scheduler:
                raise DaskExecutorError(
                    "--executor dask needs --scheduler tcp://HOST:8786 "
                    "(or use --executor dask-local to start a cluster on this machine)"
                )
            if workers is not None:
                raise DaskExecutorError(
                    f"--workers only applies to --executor dask-local; the cluster at "
                    f"'{scheduler}' has its own workers"
                )
            return cls(scheduler, storage=storage)
        if kind == "dask-local":
            if scheduler:
                raise DaskExecutorError(
                    "--scheduler only applies to --executor dask; dask-local starts its own "
                    "cluster (drop --scheduler, or use --executor dask)"
                )
            n = DEFAULT_LOCAL_WORKERS if workers is None else workers
            threads = DEFAULT_LOCAL_THREADS if threads_per_worker is None else threads_per_worker
            if n < 1 or threads < 1:
                raise DaskExecutorError("--workers and threads per worker must be at least 1")
            if storage is not None:  # refuse before starting processes
                _check_storage(storage, remote_cluster=False)
            cluster = _local_cluster(n, threads)
            try:
                return cls(cluster, storage=storage, cluster=cluster, label="dask-local")
            except BaseException:
                cluster.close()
                raise
        raise DaskExecutorError(f"unknown executor '{kind}'; use 'dask' or 'dask-local'")

    # -- the Executor interface ----------------------------------------------------------------

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> Future:
        needs_disk = getattr(arg, "workdir", None)
        job = _Job(fn, arg, self._pinned_host or (socket.gethostname() if needs_disk else None))
        if self._closed:
            raise RuntimeError("the Dask executor is shut down")
        self._launch(job)
        return job.result

    def options_for(self, arg: Any) -> dict[str, Any]:
        """Extra keyword arguments for ``Client.submit`` (``workers``, ``resources``,
        ``allow_other_workers``): none by default; a subclass may place tasks."""
        return {}

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            pending = list(self._jobs.values())
            self._jobs.clear()
        for job in pending:
            job.result.cancel()
        if hasattr(self, "_address"):  # fully set up
            with contextlib.suppress(Exception):
                self._client.unsubscribe_topic(EVENT_TOPIC)
        if getattr(self, "_own_client", False):
            with contextlib.suppress(Exception):
                self._client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()
            self._cluster = None

    def describe(self) -> str:
        info = self._client.scheduler_info()
        workers = info.get("workers", {})
        threads = sum(int(w.get("nthreads", 0)) for w in workers.values())
        return f"{self._label} ({self._address}, {len(workers)} workers, {threads} threads)"

    @property
    def client(self) -> Client:
        return self._client

    # -- internals -----------------------------------------------------------------------------

    def _check_workers(self) -> bool | None:
        """flowc runs on every worker; workers on other hosts reach the storage. True if
        every worker runs on this host, else None (Dask's default for result transfers)."""
        try:
            self._client.run(_warm_up)
        except Exception as exc:
            raise DaskExecutorError(
                f"the Dask workers cannot run flowc's tasks ({type(exc).__name__}: {exc}); "
                "install flowc with the same version on every worker: pip install 'flowc[dask]'"
            ) from None
        workers = self._client.scheduler_info().get("workers", {})
        remote = sorted(
            addr
            for addr, w in workers.items()
            if not is_this_host(w.get("host") or _address_host(addr))
        )
        if remote and self._storage is not None:
            _check_storage(self._storage, remote_cluster=True)
            _probe_shared(self._client, self._storage, remote)
        return True if workers and not remote else None

    def _launch(self, job: _Job) -> None:
        """Submit ``job`` (again); its result comes back through :meth:`_bridge`."""
        future = self._client.submit(
            _run_on_worker, job.fn, job.arg, job.host, pure=False, **self.options_for(job.arg)
        )
        with self._lock:
            self._jobs.pop(job.key, None)
            job.key = future.key
            self._jobs[future.key] = job
        self._client.loop.add_callback(self._bridge, job, future)

    async def _bridge(self, job: _Job, future: Any) -> None:
        """On the client's event loop: wait for ``future`` and settle ``job.result``."""
        try:
            outcome = await self._client.gather(future, direct=self._direct, asynchronous=True)
        except KilledWorker as exc:
            worker = getattr(exc.last_worker, "address", str(exc.last_worker))
            with self._lock:
                if worker not in job.lost:
                    job.lost.append(worker)
            job.lost_runs += exc.allowed_failures + 1
            if job.lost_runs <= LOST_LIMIT and not self._closed:
                try:  # Dask gave up early (allowed-failures < LOST_LIMIT): once more
                    self._launch(job)
                except Exception as again:
                    self._settle(job, error=again)
                return
            self._settle(job, result=self._given_up(job))
        except BaseException as exc:  # an error or a cancellation: the engine reports it
            self._settle(job, error=exc)
        else:
            if isinstance(outcome, Outcome):
                outcome.logs[:0] = self._lost_lines(job, outcome.worker, outcome.start)
                with self._lock:
                    outcome.lost = list(job.lost)
            self._settle(job, result=outcome)

    def _settle(self, job: _Job, *, result: Any = None, error: BaseException | None = None) -> None:
        with self._lock:
            self._jobs.pop(job.key, None)
        with contextlib.suppress(InvalidStateError):  # cancelled by shutdown meanwhile
            if error is not None:
                job.result.set_exception(error)
            else:
                job.result.set_result(result)

    def _on_event(self, event: tuple[float, Any]) -> None:
        """A worker left the cluster: note it on the jobs it was running or holding."""
        _, msg = event
        if not isinstance(msg, dict) or msg.get("action") != "remove-worker":
            return
        worker = str(msg.get("worker", "?"))
        keys = [*msg.get("processing-tasks", ()), *msg.get("lost-computed-tasks", ())]
        with self._lock:
            for key in keys:
                job = self._jobs.get(key)
                if job is not None and worker not in job.lost:
                    job.lost.append(worker)

    def _lost_lines(self, job: _Job, final: str, at: float) -> list[LogLine]:
        with self._lock:
            chain = [*job.lost, final]
        return [
            LogLine("WARN", f"worker {a} was lost; ran again on {b}", at)
            for a, b in zip(chain, chain[1:])
        ]

    def _given_up(self, job: _Job) -> Outcome:
        with self._lock:
            lost = list(job.lost)
        now = time.time()
        return Outcome(
            state="FAILED",
            error=(
                f"the task's worker died {job.lost_runs} times ({', '.join(lost)}); it was not "
                "run again: a task that kills its worker (e.g. by exhausting memory) would kill "
                "the next one too"
            ),
            worker=lost[-1] if lost else "",
            start=now,
            end=now,
            logs=[LogLine("WARN", f"worker {w} was lost", now) for w in lost],
        )


def _local_cluster(workers: int, threads: int) -> LocalCluster:
    """Worker processes on 127.0.0.1, no dashboard (the scheduler's health page moves off
    port 8787 quietly when another cluster holds it)."""
    import logging
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Port 8787 is already in use")
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
