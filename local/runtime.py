"""Function execution: a pool of worker processes per function, like Lambda's execution environments.

A pool starts workers on demand up to its concurrency limit, reuses warm ones, enforces the function's
timeout (a worker that overruns is killed and replaced, and the invocation is a `Sandbox.Timedout`
function error, as Lambda reports it), notices a worker that dies (a `Runtime.ExitError`, logged with the
exit status and the last lines the process wrote) and forwards each worker's log lines. Lambda's 6 MB
limit applies to what a function answers.

Two ways to run a function (`Interpreter`):
* from the source tree, with the Python running the local stack (the daily mode);
* as Lambda runs the `sam build` output (`Interpreter.lambda_like`): a python3.13 started isolated (`-I`,
  no site-packages), whose import path is the function's folder, its layers' `python/` folders and a folder
  holding only the boto3 the Lambda runtime ships, in Lambda's order. Nothing of the local stack's own
  environment can be imported there.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local import lifeline
from local.template import ACCOUNT_ID, REGION, FunctionSpec

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # Lambda's limit on a synchronous invocation's request and response
LogSink = Callable[[str, str], None]  # (function short name, line)
_LAST_LINES = 10
_EOF = object()


@dataclass(frozen=True)
class Interpreter:
    """How a worker process is started: the command, and folders appended to the import path after the
    function's own (the runtime's bundled packages)."""

    command: tuple[str, ...] = (sys.executable,)
    runtime_paths: tuple[Path, ...] = ()
    lambda_like: bool = False

    @classmethod
    def isolated(cls, python: str, runtime_paths: tuple[Path, ...]) -> Interpreter:
        # -I: no PYTHON* variables, no user site, no script folder on the path; -S: no site-packages.
        return cls(command=(python, "-I", "-S"), runtime_paths=runtime_paths, lambda_like=True)


@dataclass
class Invocation:
    ok: bool
    result: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0
    init_ms: float | None = None  # set when this invocation paid a cold start


class FunctionError(Exception):
    pass


@dataclass
class _Output:
    """The last lines a worker wrote to stderr, kept to say how it ended."""

    lines: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=_LAST_LINES))


class _Worker:
    def __init__(
        self, spec: FunctionSpec, env: dict[str, str], log: LogSink, interpreter: Interpreter
    ) -> None:
        self.spec = spec
        self.log = log
        command = [
            *interpreter.command,
            str(WORKER_SCRIPT),
            *(f"--runtime-path={path}" for path in interpreter.runtime_paths),
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
        self.output = _Output()
        self.replies: queue.Queue[Any] = queue.Queue()
        self._stderr_done = threading.Event()
        threading.Thread(target=self._read_replies, daemon=True).start()
        threading.Thread(target=self._read_logs, daemon=True).start()
        ready = self._next_reply(60.0)
        if not isinstance(ready, dict) or not ready.get("ready"):
            reason = self._ended() if ready is _EOF else "it did not start within 60 s"
            self.kill()
            raise FunctionError(f"{spec.logical_id} did not start: {reason}")
        self.init_ms: float | None = ready.get("init_ms")
        self.init_error: dict[str, Any] | None = ready.get("init_error")
        self.cold = True

    def _read_replies(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                reply = json.loads(line)
            except ValueError:
                reply = {"ok": False, "error": _error("Runtime.InvalidResponse", line[:200])}
            if isinstance(reply, dict):
                reply["size"] = len(line)  # the worker writes ASCII JSON: characters are bytes
            self.replies.put(reply)
        self.replies.put(_EOF)

    def _read_logs(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            line = raw.rstrip("\n")
            self.output.lines.append(line)
            self.log(self.spec.short_name, line)
        self._stderr_done.set()

    def _next_reply(self, timeout: float) -> Any:
        """A reply, `_EOF` when the process closed its output (it died), or None on timeout."""
        try:
            return self.replies.get(timeout=timeout)
        except queue.Empty:
            return None

    def _ended(self) -> str:
        """How the process ended, in Lambda's words, and the last lines it wrote (also logged)."""
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(timeout=5)
        self._stderr_done.wait(timeout=2)
        status = f"signal {-code}" if code < 0 else f"exit status {code}"
        last = " | ".join(self.output.lines) or "(nothing)"
        self.log(self.spec.short_name, f"the function's process ended ({status}); its last output: {last}")
        return status

    def invoke(self, event: Any, request_id: str) -> Invocation:
        deadline = time.time() + self.spec.timeout
        context = {
            "function_name": self.spec.logical_id,
            "invoked_function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.spec.logical_id}",
            "memory_limit_in_mb": self.spec.memory,
            "aws_request_id": request_id,
            "deadline_ms": deadline * 1000,
        }
        if self.spec.tracing == "Active":
            context["trace_id"] = _trace_header()
        started = time.perf_counter()
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps({"event": event, "context": context}) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return self._exited(request_id, started)
        reply = self._next_reply(self.spec.timeout + 1.0)
        duration = round((time.perf_counter() - started) * 1000, 2)
        init_ms, self.cold = (self.init_ms if self.cold else None), False
        if reply is _EOF:
            return self._exited(request_id, started)
        if reply is None:
            self.kill()
            message = f"{_stamp()} {request_id} Task timed out after {self.spec.timeout:.2f} seconds"
            self.log(self.spec.short_name, message)
            return Invocation(
                ok=False, error=_error("Sandbox.Timedout", message), duration_ms=duration, init_ms=init_ms
            )
        if reply.get("ok") and int(reply.get("size", 0)) > MAX_PAYLOAD_BYTES:
            message = (
                f"Response payload size exceeded maximum allowed payload size ({MAX_PAYLOAD_BYTES} bytes)."
            )
            self.log(self.spec.short_name, f"{request_id} {message} It answered {reply['size']} bytes.")
            return Invocation(
                ok=False,
                error=_error("Function.ResponseSizeTooLarge", message),
                duration_ms=duration,
                init_ms=init_ms,
            )
        return Invocation(
            ok=bool(reply.get("ok")),
            result=reply.get("result"),
            error=reply.get("error"),
            duration_ms=duration,
            init_ms=init_ms,
        )

    def _exited(self, request_id: str, started: float) -> Invocation:
        status = self._ended()
        message = f"RequestId: {request_id} Error: Runtime exited with error: {status}"
        duration = round((time.perf_counter() - started) * 1000, 2)
        return Invocation(ok=False, error=_error("Runtime.ExitError", message), duration_ms=duration)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)


def _error(error_type: str, message: str) -> dict[str, Any]:
    return {"errorType": error_type, "errorMessage": message}


def _stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"


def _trace_header() -> str:
    """An X-Ray trace header as Lambda hands one to each traced invocation (`_X_AMZN_TRACE_ID`)."""
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=1"


class FunctionPool:
    def __init__(
        self,
        spec: FunctionSpec,
        env: dict[str, str],
        log: LogSink,
        *,
        max_workers: int = 4,
        interpreter: Interpreter | None = None,
    ) -> None:
        self.spec = spec
        self.env = env
        self.log = log
        self.max_workers = max_workers
        self.interpreter = interpreter or Interpreter()
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
            return _Worker(self.spec, self.env, self.log, self.interpreter)
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

    def warm(self) -> dict[str, Any] | None:
        """Start one execution environment (a cold start) and leave it idle; answers the error its import
        hit (Lambda's `Runtime.ImportModuleError`), None when the handler imported."""
        worker = self._acquire()
        try:
            return worker.init_error
        finally:
            self._release(worker)

    def invoke(self, event: Any) -> Invocation:
        request_id = str(uuid.uuid4())
        try:
            worker = self._acquire()
        except FunctionError as error:
            # The environment could not start (its process died while importing, or the stack stops):
            # Lambda answers such an invocation with a runtime error.
            return Invocation(ok=False, error=_error("Runtime.ExitError", f"RequestId: {request_id} {error}"))
        try:
            outcome = worker.invoke(event, request_id)
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
    spec: FunctionSpec,
    function_env: dict[str, str],
    endpoints: dict[str, str],
    interpreter: Interpreter | None = None,
) -> dict[str, str]:
    """What a Lambda execution environment would set (from the function's configuration: its log format
    and levels, its log group, tracing), plus the local endpoints boto3 should use."""
    passed = ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    if interpreter is None or not interpreter.lambda_like:
        passed += ("HOME", "VIRTUAL_ENV")  # the source mode runs in the developer's own environment
    env = {key: os.environ[key] for key in passed if key in os.environ}
    env.update(
        {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group or f"/aws/lambda/{spec.logical_id}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if spec.log_format == "JSON":
        # Lambda's advanced logging controls: Powertools takes the level from here before its own setting.
        env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        env["AWS_LAMBDA_LOG_LEVEL"] = spec.application_log_level or "INFO"
    if spec.tracing == "Active":
        env.update(
            {
                "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
                "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
                "_AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1",
                "_AWS_XRAY_DAEMON_PORT": "2000",
            }
        )
    env.update({f"AWS_ENDPOINT_URL_{service.upper()}": url for service, url in endpoints.items()})
    env.update(function_env)
    return env
