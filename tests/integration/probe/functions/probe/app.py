"""Probe handlers: append what they receive to PROBE_LOG (one JSON line per record) and fail on demand.

Each record says what to do in `mode`: "ok", "fail" (reported in batchItemFailures) or "crash" (the whole
invocation raises). `GET /hold?dir=…` is a request that stays in flight until the test lets it go: it
writes `dir/started`, then answers once `dir/release` exists.
"""

import json
import os
import time


def _log(kind, key, mode, batch_size):
    with open(os.environ["PROBE_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps({"kind": kind, "key": key, "mode": mode, "batch": batch_size}) + "\n")


def on_stream(event, context):
    records = event["Records"]
    failures = []
    for record in records:
        image = record["dynamodb"]["NewImage"]
        key, mode = image["PK"]["S"], image["mode"]["S"]
        _log("stream", key, mode, len(records))
        if mode == "crash":
            raise RuntimeError(f"crash on {key}")
        if mode == "fail":
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}


def on_queue(event, context):
    records = event["Records"]
    failures = []
    for record in records:
        body = json.loads(record["body"])
        _log("queue", body["key"], body["mode"], len(records))
        if body["mode"] == "fail":
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def on_http(event, context):
    folder = event["queryStringParameters"]["dir"]
    with open(os.path.join(folder, "started"), "w", encoding="utf-8"):
        pass
    while not os.path.exists(os.path.join(folder, "release")):
        if context.get_remaining_time_in_millis() < 1000:
            return {"statusCode": 504, "body": "never released"}
        time.sleep(0.05)
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "released"}
