"""The local stack fails as API Gateway (HTTP API, payload 2.0) and Lambda fail, on a probe template whose
functions raise, kill their own process, outlive their timeout or the integration's, or answer too much:

* a request whose Lambda event would exceed Lambda's 6 MB synchronous payload is refused with 413 before
  any function runs (the probe logs every invocation);
* a function error is a 500 `{"message":"Internal Server Error"}`, whether the function raised, its
  process died (the log then says how it exited and what it wrote last) or it ran past its own timeout
  (Lambda reports that as a function error);
* only the integration's timeout (`TimeoutInMillis`, at most 30 s) is a 503 `{"message":"Service
  Unavailable"}`;
* an answer over 6 MB is a function error too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from local.stack import LocalStack

PROBE_TEMPLATE = Path(__file__).with_name("probe") / "failures.yaml"
INTERNAL_ERROR = {"message": "Internal Server Error"}


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, Path, list[str]]]:
    log = tmp_path_factory.mktemp("probe") / "probe.log"
    log.touch()
    lines: list[str] = []
    stack = LocalStack(
        port=0,
        template_path=PROBE_TEMPLATE,
        state_file=None,
        log=lines.append,
        parameter_overrides={"ProbeLog": str(log)},
        seed=False,
        stack_name="probe-failures",
    )
    stack.start()
    yield stack, log, lines
    stack.stop()


def invoked(log: Path) -> list[str]:
    return log.read_text().splitlines()


def test_a_payload_over_lambdas_6_mb_is_refused_before_the_function_runs(
    probe: tuple[LocalStack, Path, list[str]],
) -> None:
    stack, log, _ = probe
    url = stack.state["api_url"] + "/echo"
    before = invoked(log).count("echo")

    small = requests.post(url, data=json.dumps("x" * (5 * 1024 * 1024)), timeout=60)
    large = requests.post(url, data=json.dumps("x" * (6 * 1024 * 1024)), timeout=60)

    assert small.status_code == 200
    assert (large.status_code, large.json()) == (413, {"message": "Request Entity Too Large"})
    assert invoked(log).count("echo") == before + 1  # the large one never reached the function


def test_a_function_that_raises_is_a_500(probe: tuple[LocalStack, Path, list[str]]) -> None:
    stack, _, _ = probe
    response = requests.get(stack.state["api_url"] + "/fail", timeout=30)

    assert (response.status_code, response.json()) == (500, INTERNAL_ERROR)


def test_a_function_whose_process_dies_is_a_500_and_the_log_says_how_it_ended(
    probe: tuple[LocalStack, Path, list[str]],
) -> None:
    stack, _, lines = probe
    response = requests.get(stack.state["api_url"] + "/crash", timeout=30)
    again = requests.get(stack.state["api_url"] + "/crash", timeout=30)  # a fresh process takes its place

    assert (response.status_code, response.json()) == (500, INTERNAL_ERROR)
    assert again.status_code == 500
    ended = [line for line in lines if "process ended (exit status 3)" in line]
    assert ended and "the probe is about to exit with status 3" in ended[0]


def test_a_function_past_its_own_timeout_is_a_500(probe: tuple[LocalStack, Path, list[str]]) -> None:
    stack, _, lines = probe
    response = requests.get(stack.state["api_url"] + "/slow", timeout=30)

    assert (response.status_code, response.json()) == (500, INTERNAL_ERROR)
    assert any("Task timed out after 1.00 seconds" in line for line in lines)


def test_only_the_integration_timeout_is_a_503(probe: tuple[LocalStack, Path, list[str]]) -> None:
    stack, _, _ = probe
    response = requests.get(stack.state["api_url"] + "/hang", timeout=30)

    assert (response.status_code, response.json()) == (503, {"message": "Service Unavailable"})


def test_an_answer_over_6_mb_is_a_function_error(probe: tuple[LocalStack, Path, list[str]]) -> None:
    stack, _, lines = probe
    response = requests.get(stack.state["api_url"] + "/big", timeout=60)

    assert (response.status_code, response.json()) == (500, INTERNAL_ERROR)
    assert any("Response payload size exceeded" in line for line in lines)
