"""Cold start: import + init of each function's handler module against a bare `import boto3`.

Two measures, both from fresh interpreters, both leaving out interpreter start-up:

* instructions (valgrind's callgrind, when installed): deterministic, unaffected by machine load; this
  is the ratio the target applies to;
* wall-clock milliseconds: function and baseline samples interleaved in one run, median of `--runs`.

Sources are byte-compiled first, as `make build` ships them (a Lambda package's code directory is
read-only, so uncompiled modules would be compiled again on every cold start). Functions are imported
with their own environment from template.yaml (tracing off, the template's default); a last column shows
the cost with `Tracing=Active`, which loads the X-Ray SDK.

    python -m bench.coldstart [--runs 15]

Writes bench/results/coldstart.json and bench/results/coldstart.md.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core")]

from local.template import Template  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGET_RATIO = 1.3

_PROBE = """
import sys, time
sys.path[:0] = {paths!r}
started = time.perf_counter()
{statement}
print((time.perf_counter() - started) * 1000)
"""


def _sample(statement: str, paths: list[str], env: dict[str, str]) -> float:
    code = _PROBE.format(paths=paths, statement=statement)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd="/"
    )
    return float(out.stdout.strip().splitlines()[-1])


def _instructions(statement: str, paths: list[str], env: dict[str, str]) -> int | None:
    """Instructions executed by a fresh interpreter running `statement` (None without valgrind)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    code = f"import sys; sys.path[:0] = {paths!r}; {statement}"
    out = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", code],
        env={**env, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    return int(found.group(1)) if found else None


def measure(runs: int) -> dict[str, Any]:
    template = Template.load(stack_name="bench")
    template.set_parameters({"Stage": "prod", "OperatorKeyHash": "0" * 64})
    for logical in ("Table", "WebhookQueue"):
        template.physical[logical] = {
            "Ref": f"bench-{logical}",
            "QueueUrl": "https://sqs/q",
            "Arn": "arn",
            "StreamArn": "arn",
        }
    specs = template.functions()
    for folder in {
        *(spec.code_dir for spec in specs.values()),
        *(layer for spec in specs.values() for layer in spec.layers),
    }:
        compileall.compile_dir(str(folder), quiet=1)
    base_env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "VIRTUAL_ENV")}
    base_env.update({"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"})

    samples: dict[str, list[float]] = {"boto3": []}
    traced: dict[str, list[float]] = {}
    for _ in range(runs):
        samples["boto3"].append(_sample("import boto3", [], base_env))
        for logical, spec in specs.items():
            env = {**base_env, **template.environment_of(spec), "AWS_LAMBDA_FUNCTION_NAME": logical}
            paths = [str(spec.code_dir), *map(str, spec.layers)]
            module = spec.handler.rpartition(".")[0]
            samples.setdefault(logical, []).append(_sample(f"import {module}", paths, env))
            traced.setdefault(logical, []).append(
                _sample(f"import {module}", paths, {**env, "POWERTOOLS_TRACE_DISABLED": "false"})
            )

    startup = _instructions("pass", [], base_env)
    boto3_instructions = _instructions("import boto3", [], base_env)
    baseline = statistics.median(samples["boto3"])
    functions = {}
    for logical, spec in specs.items():
        env = {**base_env, **template.environment_of(spec), "AWS_LAMBDA_FUNCTION_NAME": logical}
        paths = [str(spec.code_dir), *map(str, spec.layers)]
        instructions = _instructions(f"import {spec.handler.rpartition('.')[0]}", paths, env)
        median = statistics.median(samples[logical])
        traced_median = statistics.median(traced[logical])
        row: dict[str, Any] = {
            "import_init_ms": round(median, 1),
            "ms_ratio_to_boto3": round(median / baseline, 2),
            "with_tracing_ms": round(traced_median, 1),
            "with_tracing_ms_ratio": round(traced_median / baseline, 2),
        }
        if instructions is not None and startup is not None and boto3_instructions is not None:
            row["million_instructions"] = round((instructions - startup) / 1e6, 1)
            row["ratio_to_boto3"] = round((instructions - startup) / (boto3_instructions - startup), 3)
        else:
            row["ratio_to_boto3"] = row["ms_ratio_to_boto3"]
        functions[logical] = row
    return {
        "python": sys.version.split()[0],
        "runs": runs,
        "boto3_import_ms": round(baseline, 1),
        "boto3_million_instructions": round((boto3_instructions - startup) / 1e6, 1)
        if boto3_instructions is not None and startup is not None
        else None,
        "ratio_measure": "instructions" if startup is not None else "wall-clock milliseconds",
        "target_ratio": TARGET_RATIO,
        "functions": functions,
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Cold start, import + init (Python {result['python']}). Bare `import boto3`: "
        f"{result['boto3_million_instructions']} M instructions, {result['boto3_import_ms']} ms "
        f"(median of {result['runs']}). Ratio measured in {result['ratio_measure']}; "
        f"target ≤ {result['target_ratio']}.",
        "",
        "| function | M instructions | ratio to boto3 | ms (median) | ms ratio "
        "| ms with Tracing=Active | ms ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for logical, row in result["functions"].items():
        lines.append(
            f"| {logical} | {row.get('million_instructions', '-')} | {row['ratio_to_boto3']} | "
            f"{row['import_init_ms']} | {row['ms_ratio_to_boto3']} | {row['with_tracing_ms']} | "
            f"{row['with_tracing_ms_ratio']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    result = measure(args.runs)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "coldstart.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "coldstart.md").write_text(markdown(result))
    print(markdown(result))
    worst = max(row["ratio_to_boto3"] for row in result["functions"].values())
    print(f"worst ratio {worst} (target ≤ {TARGET_RATIO})")
    return 0 if worst <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
