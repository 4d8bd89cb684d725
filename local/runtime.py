"""Function execution: a pool of worker processes per function, like Lambda's execution environments.

A pool starts workers on demand up to its concurrency limit, reuses warm ones, enforces the function's
timeout (a worker that overruns is killed and replaced) and forwards each worker's log lines.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local import lifeline
from local.template import ACCOUNT_ID, REGION, FunctionSpec

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
LogSink = Callable[[str, str], None]  # (function short name, line)


@dataclass
class Invocation:
    ok: bool
    result: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0
    init_ms: float | None = None  # set when this invocation paid a cold start


class FunctionError(Exception):
    pass


class _Worker:
    def __init__(self, spec: FunctionSpec, env: dict[str, str], log: LogSink) -> None:
        self.spec = spec
        command = [
            sys.executable,
            str(WORKER_SCRIPT),
            str(spec.code_dir),
            spec.handler,
            *map(str, spec.layers),
        ]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
            bufsize=1,
            process_group=lifeline.process_group(),  # ends with the stack, and Ctrl-C is the stack's alone
        )
        self.replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read_replies, daemon=True).start()
        threading.Thread(target=self._read_logs, args=(log,), daemon=True).start()
        ready = self._next_reply(60.0)
        if ready is None or not ready.get("ready"):
            self.kill()
            raise FunctionError(f"{spec.logical_id} did not start")
        self.init_ms: float | None = ready.get("init_ms")
        self.cold = True

    def _read_replies(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.replies.put(json.loads(line))
        self.replies.put(None)

    def _read_logs(self, log: LogSink) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            log(self.spec.short_name, line.rstrip("\n"))

    def _next_reply(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self.replies.get(timeout=timeout)
        except queue.Empty:
            return None

    def invoke(self, event: Any, request_id: str) -> Invocation:
        deadline = time.time() + self.spec.timeout
        context = {
            "function_name": self.spec.logical_id,
            "invoked_function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.spec.logical_id}",
            "memory_limit_in_mb": self.spec.memory,
            "aws_request_id": request_id,
            "deadline_ms": deadline * 1000,
        }
        started = time.perf_counter()
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps({"event": event, "context": context}) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return Invocation(
                ok=False, error={"errorType": "Runtime.ExitError", "errorMessage": "worker exited"}
            )
        reply = self._next_reply(self.spec.timeout + 1.0)
        duration = round((time.perf_counter() - started) * 1000, 2)
        init_ms, self.cold = (self.init_ms if self.cold else None), False
        if reply is None:
            self.kill()
            message = f"Task timed out after {self.spec.timeout} seconds"
            return Invocation(
                ok=False,
                error={"errorType": "Sandbox.Timedout", "errorMessage": message},
                duration_ms=duration,
            )
        return Invocation(
            ok=bool(reply.get("ok")),
            result=reply.get("result"),
            error=reply.get("error"),
            duration_ms=duration,
            init_ms=init_ms,
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)


class FunctionPool:
    def __init__(
        self, spec: FunctionSpec, env: dict[str, str], log: LogSink, *, max_workers: int = 4
    ) -> None:
        self.spec = spec
        self.env = env
        self.log = log
        self.max_workers = max_workers
        self._idle: list[_Worker] = []
        self._count = 0
        self._closed = False
        self._available = threading.Condition()
        self.cold_starts: list[float] = []

    def _acquire(self) -> _Worker:
        with self._available:
            while True:
                if self._closed:
                    raise FunctionError("the local stack is stopping")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive:
                        return worker
                    self._count -= 1
                if self._count < self.max_workers:
                    self._count += 1
                    break
                self._available.wait()
        try:
            return _Worker(self.spec, self.env, self.log)
        except Exception:
            with self._available:
                self._count -= 1
                self._available.notify()
            raise

    def _release(self, worker: _Worker) -> None:
        with self._available:
            if worker.alive and not self._closed:
                self._idle.append(worker)
            else:
                self._count -= 1
                worker.kill()
            self._available.notify()

    def invoke(self, event: Any) -> Invocation:
        worker = self._acquire()
        try:
            outcome = worker.invoke(event, str(uuid.uuid4()))
        finally:
            self._release(worker)
        if outcome.init_ms is not None:
            self.cold_starts.append(outcome.init_ms)
        return outcome

    def close(self) -> None:
        with self._available:
            self._closed = True
            workers, self._idle = self._idle, []
            self._available.notify_all()
        for worker in workers:
            if worker.process.stdin is not None:
                with contextlib.suppress(OSError):
                    worker.process.stdin.close()
            worker.kill()


def worker_environment(
    spec: FunctionSpec, function_env: dict[str, str], endpoints: dict[str, str]
) -> dict[str, str]:
    """What a Lambda execution environment would set, plus the local endpoints boto3 should use."""
    env = {
        key: os.environ[key]
        for key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")
        if key in os.environ
    }
    env.update(
        {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.logical_id}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({f"AWS_ENDPOINT_URL_{service.upper()}": url for service, url in endpoints.items()})
    env.update(function_env)
    return env
