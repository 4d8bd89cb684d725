"""Probe handlers for the local stack's failure modes. Each appends its name to PROBE_LOG when invoked."""

import os
import sys
import time


def _invoked(name):
    with open(os.environ["PROBE_LOG"], "a", encoding="utf-8") as log:
        log.write(name + "\n")


def echo(event, context):
    _invoked("echo")
    return {"statusCode": 200, "body": str(len(event.get("body") or ""))}


def fail(event, context):
    _invoked("fail")
    raise RuntimeError("the probe fails on purpose")


def crash(event, context):
    _invoked("crash")
    print("the probe is about to exit with status 3", file=sys.stderr, flush=True)
    os._exit(3)


def sleep(event, context):
    _invoked("sleep")
    time.sleep(3)
    return {"statusCode": 200, "body": "slept"}


def too_much(event, context):
    _invoked("too_much")
    return {"statusCode": 200, "body": "x" * (7 * 1024 * 1024)}
