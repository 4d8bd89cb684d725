"""One function's execution environment: a child process that imports the handler once (its cold start)
and then serves invocations, one at a time, as a Lambda container does.

Run as a script (`python local/worker.py [--runtime-path=DIR…] CODE_DIR HANDLER [LAYER_DIR…]`): its import
path holds the function's code and its layers, then the interpreter's own library, then the runtime
folders (where the Lambda runtime keeps its boto3), in Lambda's order; never the local stack itself.

Protocol, one JSON document per line: the parent writes `{"event": …, "context": {…}}` to stdin; the
worker answers on the original stdout `{"ok": true, "result": …}` or `{"ok": false, "error": {…}}`.
Everything the function prints or logs goes to stderr, which the local stack shows as the function's log.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    def __init__(self, details: dict[str, Any]) -> None:
        self.function_name: str = details["function_name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn: str = details["invoked_function_arn"]
        self.memory_limit_in_mb: int = details["memory_limit_in_mb"]
        self.aws_request_id: str = details["aws_request_id"]
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self.identity = None
        self.client_context = None
        self._deadline_ms: float = details["deadline_ms"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def _error(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorType": error_type or type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


def main() -> int:
    options = [a for a in sys.argv[1:] if a.startswith("--runtime-path=")]
    code_dir, handler_path, *layers = [a for a in sys.argv[1:] if a not in options]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the stack stops its workers itself, after in-flight work
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # the function's prints and logs go to stderr
    sys.path[:0] = [code_dir, *layers]
    sys.path = [p for p in sys.path if os.path.abspath(p) != os.path.dirname(os.path.abspath(__file__))]
    sys.path += [option.partition("=")[2] for option in options]
    os.chdir(code_dir)

    module_name, _, function_name = handler_path.rpartition(".")
    started = time.perf_counter()
    handler = None
    init_error = None
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as error:  # noqa: BLE001 - reported to every invocation, as Lambda does
        init_error = _error(error, "Runtime.ImportModuleError")
        traceback.print_exc()
    init_ms = round((time.perf_counter() - started) * 1000, 2)
    protocol.write(json.dumps({"ready": True, "init_ms": init_ms, "init_error": init_error}) + "\n")

    for line in sys.stdin:
        request = json.loads(line)
        if init_error is not None or handler is None:
            reply: dict[str, Any] = {"ok": False, "error": init_error}
        else:
            trace = request["context"].get("trace_id")
            if trace:  # what Lambda's runtime client sets for each traced invocation
                os.environ["_X_AMZN_TRACE_ID"] = trace
            try:
                result = handler(request["event"], LambdaContext(request["context"]))
                reply = {"ok": True, "result": result}
            except Exception as error:  # noqa: BLE001 - a function error is an answer, not a crash
                traceback.print_exc()
                reply = {"ok": False, "error": _error(error)}
        try:
            protocol.write(json.dumps(reply, default=str) + "\n")
        except (TypeError, ValueError) as error:
            protocol.write(json.dumps({"ok": False, "error": _error(error, "Runtime.MarshalError")}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
