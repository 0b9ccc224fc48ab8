"""The mini-batch runner: cut the inputs, take what the cache holds, run the rest on a pool of
workers with retries, timeouts and error thresholds, and write the results in order.

Exit status 0 when the step finished (failed mini-batches within the thresholds are listed,
not fatal), 1 when it failed (a threshold was exceeded, ``init()`` kept failing, or the
inputs could not be read), 2 when the configuration is wrong.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections import deque
from typing import IO, Any

from .batches import MiniBatch, file_batches
from .cache import CACHE_VERSION, BatchCache
from .config import ConfigError, RunnerConfig
from .hashing import ContentHasher
from .pool import Event, Worker, WorkerPool, exit_description
from .report import OrderedOutput, Report

log = logging.getLogger("jupyter_pipelines.parallel")
_WAIT = 0.2


class StepFailed(Exception):
    """The step cannot go on; the message says why."""


class ParallelRunner:
    """Runs one ParallelRunStep as ``config`` says; ``run()`` returns the exit status."""

    def __init__(self, config: RunnerConfig, stdout: IO[str] | None = None) -> None:
        self.config = config
        self.stdout = stdout or sys.stdout
        self.batches: list[MiniBatch] = []
        self.attempts: list[int] = []
        self.queue: deque[int] = deque()
        self.cache = BatchCache(None)
        self.pool: WorkerPool | None = None
        self.report: Report | None = None
        self.output = OrderedOutput(None)
        self.init_failures: dict[int, int] = {}

    # -- the whole run -------------------------------------------------------------------------
    def run(self) -> int:
        config = self.config
        os.makedirs(config.logs_dir, exist_ok=True)
        _log_to(os.path.join(config.logs_dir, "runner.txt"), config.logging_level)
        try:
            self._prepare()
        except Exception as exc:  # unreadable inputs, a bad partition key, ...
            return self._fail_early(
                f"{type(exc).__name__}: {exc}" if not isinstance(exc, StepFailed) else str(exc)
            )
        assert self.report is not None
        try:
            self._loop()
            self._stop(kill=False)  # idle workers end (and call shutdown() when defined)
        except StepFailed as exc:
            self._stop(kill=True)
            self.report.finish("failed", str(exc))
            print(f"ParallelRunStep failed: {exc}", file=sys.stderr, flush=True)
            self._log_metrics()
            return 1
        finally:
            self._stop(kill=True)
        counts = self.report.counts
        reason = (
            f"{counts.failed} mini-batch(es) failed, within the error thresholds"
            if counts.failed
            else ""
        )
        self.report.finish("finished", reason)
        self._log_metrics()
        return 0

    def _fail_early(self, reason: str) -> int:
        log.error("cannot start: %s", reason)
        report = self.report or Report(self.config.logs_dir, self.config.step_name, 0, self.stdout)
        report.finish("failed", reason)
        print(f"ParallelRunStep failed: {reason}", file=sys.stderr, flush=True)
        return 1

    def _prepare(self) -> None:
        config = self.config
        self.batches = self._cut()
        total = len(self.batches)
        log.info("%d mini-batch(es) from %d input(s)", total, len(config.inputs))
        self.report = Report(config.logs_dir, config.step_name, total, self.stdout)
        path = None
        if config.output_action == "append_row":
            assert config.output_dir is not None
            path = os.path.join(config.output_dir, config.append_row_file_name)
        self.output = OrderedOutput(path)
        self.attempts = [0] * total
        self._from_cache()
        self.report.update(force=True)

    def _cut(self) -> list[MiniBatch]:
        config = self.config
        if config.tabular:
            from .tables import table_batches

            return table_batches(config.inputs, config.mini_batch_size, config.partition_keys)
        missing = [i.name for i in config.inputs if i.path and not os.path.exists(i.path)]
        if missing:
            raise StepFailed(f"input(s) {', '.join(missing)} not found")
        return file_batches(config.inputs, config.mini_batch_size, config.partition_keys)

    # -- the cache -----------------------------------------------------------------------------
    def _from_cache(self) -> None:
        """Key every mini-batch; those the cache holds are done at once, the rest queued."""
        config = self.config
        if config.cache_dir and config.output_action == "append_row":
            self.cache = BatchCache(config.cache_dir)
            if not self.cache.enabled:
                log.info(
                    "mini-batch cache %s not reachable here: every mini-batch runs",
                    config.cache_dir,
                )
        if not self.cache.enabled:
            self.queue.extend(range(len(self.batches)))
            return
        hasher = ContentHasher(config.stat_cache, config.volatile_root)
        step_key = self._step_key(hasher)
        started = time.perf_counter()
        digests = hasher.files([f for b in self.batches for f in b.files])
        for batch in self.batches:
            batch.key = hasher.document({"step": step_key, **self._content(batch, digests)})
            entry = self.cache.get(batch.key)
            if entry is None:
                self.queue.append(batch.index)
            else:
                self._succeeded(batch, entry.get("lines"), int(entry.get("count", 0)), cached=True)
        log.info(
            "keys of %d mini-batch(es) in %.2f s; %d from the cache",
            len(self.batches),
            time.perf_counter() - started,
            self.cache.hits,
        )

    def _step_key(self, hasher: ContentHasher) -> str:
        """What every mini-batch's result depends on besides its own data."""
        config = self.config
        doc = {
            "cache": CACHE_VERSION,
            "code": hasher.tree(os.getcwd(), skip=("outputs", "logs")),
            "entry_script": config.entry_script,
            "python": list(sys.version_info[:2]),
            "side_inputs": {n: hasher.tree(p) for n, p in sorted(config.side_inputs.items())},
            "output_action": config.output_action,
            "tabular": config.tabular,
            "models": registered_models(config.models_dir),
            # The engine gives the arguments as written (``key``), references by name: a
            # run's paths differ from the last run's. Without it, the arguments themselves.
            "arguments": list(config.arguments),
            **config.key,
        }
        return hasher.document(doc)

    @staticmethod
    def _content(batch: MiniBatch, digests: dict[str, str]) -> dict[str, Any]:
        content: dict[str, Any] = {"input": batch.input, "partition": batch.partition}
        if batch.frame is not None:
            from .tables import rows_digest

            content["rows"] = rows_digest(batch.frame)
        else:
            content["files"] = [
                [r, digests[f]] for r, f in zip(batch.rel, batch.files, strict=True)
            ]
        return content

    # -- the loop ------------------------------------------------------------------------------
    def _loop(self) -> None:
        assert self.report is not None
        counts = self.report.counts
        if not self.queue:
            return
        self.pool = WorkerPool(
            min(self.config.workers, len(self.queue)),
            {
                "entry_script": os.path.abspath(self.config.entry_script),
                "arguments": list(self.config.arguments),
                "output_action": self.config.output_action,
                "logging_level": self.config.logging_level,
            },
            os.path.join(self.config.logs_dir, "user"),
            self.config.run_invocation_timeout,
        )
        counts.workers = self.pool.size
        self.pool.start()
        log.info("%d worker process(es) started", self.pool.size)
        while counts.finished < counts.total:
            self._dispatch()
            for event in self.pool.wait(_WAIT):
                self._handle(event)
            counts.running = sum(1 for w in self.pool.workers if w.busy)
            reason = self._abort_reason()
            if reason:
                raise StepFailed(reason)
            self.report.update()

    def _dispatch(self) -> None:
        assert self.pool is not None
        for worker in self.pool.idle():
            if not self.queue:
                return
            index = self.queue.popleft()
            self.attempts[index] += 1
            batch = self.batches[index]
            if not self.pool.assign(worker, index, self.attempts[index], batch.payload):
                self.attempts[index] -= 1
                self.queue.appendleft(index)  # its worker died: reported as such next

    def _handle(self, event: Event) -> None:
        worker = event.worker
        if worker.closed:
            return
        kind, task = event.kind, event.task
        if kind == "ready":
            self.init_failures[worker.slot] = 0
            log.info("worker %d (pid %s) ready", worker.number, worker.proc.pid)
        elif kind == "init_error":
            self._init_failed(worker, event.message.get("error", ""))
        elif kind == "done":
            message = event.message
            self._succeeded(
                self.batches[task], message.get("lines"), int(message.get("count", 0)),
                seconds=float(message.get("seconds", 0.0)), worker=worker.number,
            )  # fmt: skip
        elif kind == "error":
            self._attempt_failed(task, event.message.get("error", "run() failed"))
        elif kind == "timeout":
            limit = self.config.run_invocation_timeout
            self._attempt_failed(
                task,
                f"run() did not return within run_invocation_timeout ({limit:g} s); "
                f"worker {worker.number} was stopped",
            )
            self._replace(worker)
        elif kind == "died":
            self._died(worker, task, event.message.get("exit_code"))

    def _died(self, worker: Worker, task: Any, code: int | None) -> None:
        how = exit_description(code)
        if task is not None:
            self._attempt_failed(task, f"worker {worker.number} died ({how}) while running it")
        elif not worker.ready:
            self._init_failed(worker, f"worker {worker.number} died ({how}) before init() ended")
            return
        else:
            log.warning("worker %d died (%s) while idle", worker.number, how)
        self._replace(worker)

    def _replace(self, worker: Worker) -> None:
        assert self.pool is not None and self.report is not None
        fresh = self.pool.replace(worker)
        self.report.counts.workers_replaced += 1
        log.info("worker %d replaced by worker %d", worker.number, fresh.number)

    def _init_failed(self, worker: Worker, error: str) -> None:
        assert self.pool is not None
        slot = worker.slot
        self.init_failures[slot] = self.init_failures.get(slot, 0) + 1
        log.error("init() failed in worker %d:\n%s", worker.number, error)
        if self.init_failures[slot] >= self.config.run_max_try:
            last = [line for line in error.strip().splitlines() if line.strip()]
            raise StepFailed(
                f"init() of {self.config.entry_script!r} failed {self.init_failures[slot]} "
                f"times: {last[-1] if last else 'no error text'} (see logs/user/worker_"
                f"{worker.number}.txt)"
            )
        self.pool.replace(worker)

    # -- outcomes ------------------------------------------------------------------------------
    def _succeeded(
        self,
        batch: MiniBatch,
        lines: list[str] | None,
        count: int,
        seconds: float = 0.0,
        worker: int | None = None,
        cached: bool = False,
    ) -> None:
        assert self.report is not None
        counts = self.report.counts
        counts.done += 1
        counts.from_cache += int(cached)
        counts.items += batch.size
        counts.rows += count
        counts.failed_items += max(0, batch.size - count)
        if not cached and batch.key is not None:
            entry = {"lines": lines, "count": count, "items": batch.size, "created": time.time()}
            self.cache.put(batch.key, entry)
        self.output.put(batch.index, lines)
        attempts = self.attempts[batch.index]
        self.report.batch_finished(batch, "done", attempts, seconds, worker, cached)

    def _attempt_failed(self, index: int, reason: str) -> None:
        assert self.report is not None
        batch, attempt = self.batches[index], self.attempts[index]
        counts = self.report.counts
        self.report.attempt_failed(batch, attempt, reason)
        log.warning("mini-batch %d (%s) attempt %d failed", index, batch.label, attempt)
        if attempt < self.config.run_max_try:
            counts.retried += 1
            self.queue.append(index)
            return
        counts.failed += 1
        counts.failed_items += batch.size
        self.output.put(index, None)
        self.report.batch_finished(batch, "failed", attempt)

    def _abort_reason(self) -> str | None:
        """Which threshold is exceeded, if one is (v1: any of the three aborts)."""
        assert self.report is not None
        c, config = self.report.counts, self.config
        if config.error_threshold != -1 and c.failed_items > config.error_threshold:
            return (
                f"error_threshold {config.error_threshold} exceeded: {c.failed_items} "
                f"item(s) failed in {c.failed} mini-batch(es)"
            )
        allowed = config.allowed_failed_count
        if allowed is not None and allowed != -1 and c.failed > allowed:
            return f"allowed_failed_count {allowed} exceeded: {c.failed} mini-batches failed"
        percent = config.allowed_failed_percent
        scheduled = all(a > 0 for a in self.attempts) or c.finished == c.total
        if percent is not None and percent < 100 and scheduled and c.total:
            share = 100.0 * c.failed / c.total
            if share > percent:
                return (
                    f"allowed_failed_percent {percent:g} exceeded: {c.failed} of {c.total} "
                    f"mini-batches failed ({share:.1f}%)"
                )
        return None

    # -- the end -------------------------------------------------------------------------------
    def _stop(self, kill: bool) -> None:
        if self.pool is not None:
            self.pool.close(kill=kill)
            self.pool = None

    def _log_metrics(self) -> None:
        """The counts as the step's metrics (shown with its run, as v1 shows its report)."""
        assert self.report is not None
        c = self.report.counts
        try:
            from ..run import Run

            run = Run.get_context(allow_offline=False)
            for name, value in (
                ("mini_batches_total", c.total),
                ("mini_batches_done", c.done),
                ("mini_batches_from_cache", c.from_cache),
                ("mini_batches_failed", c.failed),
                ("mini_batches_retried", c.retried),
                ("items_failed", c.failed_items),
                ("rows", c.rows),
                ("items_per_second", round(c.throughput(), 3)),
            ):
                run.log(name, value)
        except Exception as exc:  # metrics are a courtesy: never fail the step for them
            log.warning("metrics not logged: %s", exc)


def registered_models(folder: str | None) -> dict[str, list[str]]:
    """Model name -> its registered versions (``models/<name>/<version>/``): a new version
    makes every mini-batch run again, since the entry script may load it by name."""
    if not folder or not os.path.isdir(folder):
        return {}
    found = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not name.startswith("."):
            found[name] = sorted(v for v in os.listdir(path) if not v.startswith("."))
    return found


def _log_to(path: str, level: str) -> None:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(getattr(logging, str(level).upper(), logging.INFO))
    log.propagate = False


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # the finally blocks stop the workers


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jupyter_pipelines.runtime.parallel")
    parser.add_argument("--config", required=True, help="the runner's configuration, JSON")
    args = parser.parse_args(argv)
    try:
        config = RunnerConfig.from_json(args.config)
    except ConfigError as exc:
        print(f"ParallelRunStep: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    return ParallelRunner(config).run()
