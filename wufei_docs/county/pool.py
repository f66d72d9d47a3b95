"""The bundle's worker processes: one pool per stage that has enough work for it, or one helper forked
early for a re-run with a correction or two (where a pool's start and hand-off would cost more than the
work).

A worker process needs the run's settings (evaluation, templates, pdf, out) for every task, and a pool
forked from this process can see the run's list of packages to render without it being pickled. Both are
a process's `_Inherited` state — the one piece of module state of a bundle, set only by `Workers` (in this
process for the length of a run, in a worker by the pool's initializer) and read by `settings()` and
`inherited()`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wufei_docs.errors import WufeiError
from wufei_docs.files.names import CACHE_DIR, TEMPLATE_STORE

if TYPE_CHECKING:
    from wufei_docs.county.types import Progress, RunSettings


@dataclass
class _Inherited:
    settings: RunSettings | None = None
    items: Sequence[Any] = field(default_factory=tuple)  # what forked workers find by index (`inherited`)


_STATE = _Inherited()


def init(values: RunSettings | None, worker: bool = False, parent: int = 0) -> None:
    """Pool initializer: what every task needs, sent once per worker instead of once per task; the
    templates' pre-processed sources are kept in OUT/.wufei/templates for the next run. A worker ends
    with its parent (`parent`: its pid), however that ends."""
    from wufei_docs.render.engine import use_store

    if worker:
        die_with_parent(parent)
    _STATE.settings = values  # (a forked worker keeps the `items` it inherited)
    use_store(values.out / CACHE_DIR / TEMPLATE_STORE if values is not None else None)
    if worker:
        import gc

        gc.freeze()  # what the worker inherited is long-lived: the collector need not scan it again and again


def die_with_parent(parent: int) -> None:
    """End this worker when the bundle's process ends, even by kill -9 (which runs none of its clean-up):
    on Linux the kernel sends SIGKILL (prctl PR_SET_PDEATHSIG), elsewhere a thread watches the parent pid.
    A parent gone before this call is seen by the pid check."""
    import signal
    import sys

    armed = False
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            armed = ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    if parent and os.getppid() != parent:
        os._exit(1)
    if not armed and parent:
        import threading
        import time

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, name="wufei-parent-watch", daemon=True).start()


_PR_SET_PDEATHSIG = 1


def settings() -> RunSettings:
    """The running bundle's settings, in this process or a worker."""
    assert _STATE.settings is not None
    return _STATE.settings


def inherited(index: int) -> Any:
    """Item `index` of what `Workers.share` left for workers forked after it."""
    return _STATE.items[index]


def jobs_for(jobs: int | None, n: int) -> int:
    if jobs is None:
        jobs = os.cpu_count() or 1
    return max(1, min(jobs, n))


class Workers:
    """A process pool started on the first stage with enough work for it; the same pool serves the later
    stages. A re-run in a new process that finds a file or two changed uses one `Helper` forked early
    instead (`prestart`), which gets the renderer ready while this process assesses the changes."""

    def __init__(self, jobs: int | None, setup: RunSettings) -> None:
        self.jobs, self.setup = jobs, setup
        self.pool: ProcessPoolExecutor | None = None
        self.helper: Helper | None = None
        self.ending: list[Helper] = []  # told to end (`release`), not yet waited for

    @property
    def warm(self) -> bool:
        """A helper was started early (`prestart`): it does not see data made after, so tasks are pickled."""
        return self.helper is not None

    def prestart(self, warm_up: Callable[[], None]) -> bool:
        """Fork one helper now and let it run `warm_up` (import the renderer, load the templates) while
        this process assesses the few files that changed: a re-run's rendering then costs only itself.
        False where workers are not forked (or jobs=1): nothing is started."""
        if self.pool is not None or self.helper is not None or not self.forks() or jobs_for(self.jobs, 2) < 2:
            return False
        self.helper = Helper(self.setup, warm_up)
        return True

    def __enter__(self) -> Workers:
        init(self.setup)
        return self

    def __exit__(self, *exc: object) -> None:
        self.restart()
        for helper in self.ending:
            helper.wait()
        self.ending.clear()
        init(None)

    def release(self) -> None:
        """No more tasks: let the helper end (and free its memory) while this process goes on; it is waited
        for on leaving the `with` block. A pool is shut down as usual."""
        if self.helper is not None:
            self.helper.close(wait=False)
            self.ending.append(self.helper)
            self.helper = None
        self.restart()

    @contextlib.contextmanager
    def share(self, items: Sequence[Any]) -> Any:
        """Let workers forked from now on find `items` by index (`inherited(i)`) instead of being sent
        pickles of them; the pool is started afresh so that its workers see them."""
        self.restart()
        _STATE.items = items
        try:
            yield
        finally:
            _STATE.items = ()

    def forks(self) -> bool:
        """Whether workers would be forked from this process (and so share its memory as it is then)."""
        import multiprocessing

        return self.jobs != 1 and multiprocessing.get_start_method(allow_none=False) == "fork"

    def drop_helper(self) -> None:
        """End a helper that will not be needed (before its first task: without waiting for its warm-up)."""
        if self.helper is not None:
            self.helper.close()
            self.helper = None

    def abort(self) -> None:
        """Stop every worker now (a task failed, the run is being undone): what they would still write is
        not wanted, and must not land in a folder the caller is about to remove."""
        if self.helper is not None:
            self.helper.used = False  # close() then kills it rather than letting it finish its tasks
            self.helper.close()
            self.helper = None
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def restart(self) -> None:
        """End the workers; the next stage forks new ones from this process as it is then."""
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None
        self.drop_helper()

    def map(
        self,
        fn: Callable[..., Any],
        args: list[tuple[Any, ...]],
        stage: str,
        notify: Progress,
        done: int = 0,
        meanwhile: Callable[[], None] | None = None,
        warm_up: Callable[[], None] | None = None,
    ) -> list[Any]:
        """fn(*a) for each a, in order; `meanwhile` runs in this process once the tasks are handed out.
        `warm_up` too, but only when the tasks go to workers, which are then ended (see `_warm_up`)."""
        total = done + len(args)
        notify(stage, done, total)
        if self.helper is not None:
            return self.helper.map(fn, args, lambda n: notify(stage, done + n, total), meanwhile)
        workers = jobs_for(self.jobs, len(args))
        # One task and something to do meanwhile (a re-run with one corrected enterprise): a forked worker
        # renders it while this process writes the lists, which is worth the few ms a fork costs.
        overlap = meanwhile is not None and len(args) >= 1 and jobs_for(self.jobs, 2) > 1 and self.forks()
        if self.pool is None and (workers > 1 or overlap):
            self.pool = ProcessPoolExecutor(workers, initializer=init, initargs=(self.setup, True, os.getpid()))
        if self.pool is None:
            if meanwhile is not None:
                meanwhile()
            results: Iterable[Any] = (fn(*a) for a in args)
        else:
            chunk = max(1, min(4, len(args) // (8 * workers)))  # small chunks: no worker left alone at the end
            results = self.pool.map(run_task, [Task(fn, a) for a in args], chunksize=chunk)
            for task in (meanwhile, warm_up):
                if task is not None:
                    task()
        out = []
        for result in results:
            out.append(result)
            notify(stage, done + len(out), total)
        if warm_up is not None and self.pool is not None:
            self.restart()
        return out


@dataclass(frozen=True)
class Task:
    """One call for a worker: a module-level function and its arguments (both picklable)."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()

    def __call__(self) -> Any:
        return self.fn(*self.args)


def run_task(task: Task) -> Any:
    return task()


class Helper:
    """One process forked early that runs tasks sent down a pipe, one at a time. For a re-run with a
    file or two changed, where a process pool's start and hand-off (~20 ms measured here) would cost
    as much as the rendering itself. Exceptions come back and are raised here."""

    def __init__(self, setup: RunSettings, warm_up: Callable[[], None]) -> None:
        tasks_r, tasks_w = os.pipe()
        results_r, results_w = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the helper (coverage does not follow forks)
            code = 1
            try:
                os.close(tasks_w)
                os.close(results_r)
                init(setup, worker=True, parent=parent)
                with contextlib.suppress(Exception):  # whatever fails shows again in the task that needs it
                    warm_up()
                _serve(tasks_r, results_w)
                code = 0
            finally:
                os._exit(code)
        os.close(tasks_r)
        os.close(results_w)
        self.pid = pid
        self.used = False
        self.tasks = os.fdopen(tasks_w, "wb")
        self.results = os.fdopen(results_r, "rb")

    def map(
        self,
        fn: Callable[..., Any],
        args: list[tuple[Any, ...]],
        progress: Callable[[int], None],
        meanwhile: Callable[[], None] | None,
    ) -> list[Any]:
        """fn(*a) for each a, in order; all tasks are handed over at once (by a thread, so that neither
        side waits on a full pipe) and `meanwhile` runs here while the helper works."""
        import threading

        self.used = self.used or bool(args)
        tasks = [pickle.dumps(Task(fn, a), pickle.HIGHEST_PROTOCOL) for a in args]  # errors here, not in the thread
        sender = threading.Thread(target=self._send, args=(tasks,), name="wufei-helper-tasks")
        sender.start()
        out = []
        try:
            if meanwhile is not None:
                meanwhile()
            for _ in args:
                try:
                    ok, value = pickle.load(self.results)
                except (EOFError, pickle.UnpicklingError):
                    raise WufeiError("生成申报材料的子进程意外退出（可能是内存不足或被终止），请重试") from None
                if not ok:
                    raise value
                out.append(value)
                progress(len(out))
        finally:
            sender.join()
        return out

    def _send(self, tasks: list[bytes]) -> None:
        with contextlib.suppress(OSError):  # the helper has gone: reading its results says so
            for task in tasks:
                self.tasks.write(task)
            self.tasks.flush()

    def close(self, *, wait: bool = True) -> None:
        """End the helper and, unless told not to, wait for it. One that was given tasks sees the end of its
        task pipe; one that was not is killed (its warm-up, maybe still running, is of no use)."""
        if not self.used:
            import signal

            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.tasks.close()
        with contextlib.suppress(OSError):
            self.results.close()
        if wait:
            self.wait()

    def wait(self) -> None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _serve(tasks_fd: int, results_fd: int) -> None:  # pragma: no cover - runs in the helper
    with os.fdopen(tasks_fd, "rb") as tasks, os.fdopen(results_fd, "wb") as results:
        while True:
            try:
                task = pickle.load(tasks)
            except EOFError:
                return
            try:
                reply: tuple[bool, Any] = (True, task())
            except Exception as e:
                reply = (False, e)
            try:
                data = pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
            except Exception:  # an exception that cannot be pickled: its message will do
                data = pickle.dumps((False, WufeiError(str(reply[1]))), pickle.HIGHEST_PROTOCOL)
            results.write(data)
            results.flush()
