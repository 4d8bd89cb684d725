"""The README's walkthrough, pasted into a shell against a fresh stack: its shell blocks (between the
`<!-- walkthrough -->` markers) run verbatim, in order, in one bash session at the repository's root, with
the stack's state under a folder of the test's (QUESTLINE_DIR). Between two blocks the test waits until the
stack's stream has handled every record, as a person's pace between two pastes would let it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from local.esm import StreamMapping
from local.stack import LocalStack
from tests.integration.cli_stack import ROOT
from tests.support import eventually

README = ROOT / "README.md"
SENTINEL = "__readme_block_done__"


def walkthrough_blocks(text: str) -> list[str]:
    section = text.split("<!-- walkthrough -->", 1)[1].split("<!-- /walkthrough -->", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)


class Shell:
    """One bash session; each block's output (stdout and stderr) and exit status."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def run(self, block: str, timeout: float = 180) -> tuple[int, str]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{block}\necho; echo {SENTINEL} $?\n")
        self.process.stdin.flush()
        lines: list[str] = []
        finished = threading.Event()

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                if line.startswith(SENTINEL):
                    lines.append(line)
                    break
                lines.append(line)
            finished.set()

        threading.Thread(target=read, daemon=True).start()
        assert finished.wait(timeout), f"the block did not finish:\n{block}\n{''.join(lines)}"
        status = int(lines.pop().split()[1])
        return status, "".join(lines)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def _last_sequence_numbers(stack: LocalStack) -> dict[str, str]:
    streams = stack.client("dynamodbstreams")
    arn = stack.template.physical["Table"]["StreamArn"]  # type: ignore[union-attr]
    latest: dict[str, str] = {}
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            if not page["Records"]:
                break
            latest[shard["ShardId"]] = page["Records"][-1]["dynamodb"]["SequenceNumber"]
            iterator = page.get("NextShardIterator")
    return latest


def _stream_caught_up(stack: LocalStack) -> bool:
    mapping = next(m for m in stack.mappings if isinstance(m, StreamMapping))
    return all(mapping.positions.get(shard) == last for shard, last in _last_sequence_numbers(stack).items())


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[str, int, str]]]:
    home = tmp_path_factory.mktemp("readme")
    stack = LocalStack(port=0, state_file=home / "local.json", log=lambda line: None, stack_name="readme")
    stack.start()
    shell = Shell(
        {"PATH": os.environ["PATH"], "HOME": str(home), "QUESTLINE_DIR": str(home), "LANG": "C.UTF-8"}
    )
    transcript = []
    try:
        for block in walkthrough_blocks(README.read_text(encoding="utf-8")):
            eventually(lambda: _stream_caught_up(stack), timeout=60)
            status, output = shell.run(block)
            transcript.append((block, status, output))
    finally:
        shell.close()
        stack.stop()
    yield transcript


def _json_lines(output: str) -> list[Any]:
    found = []
    for line in output.splitlines():
        if line.startswith(("{", "[")):
            found.append(json.loads(line))
    return found


def test_the_readme_holds_its_walkthrough_and_stays_a_door() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = walkthrough_blocks(text)
    assert len(blocks) == 6
    assert len(text.encode()) <= 15_000
    for block in blocks:
        for command in block.replace("\\\n", " ").splitlines():
            if re.search(r"\bcurl .*-X (POST|PUT|PATCH)\b", command):
                assert "content-type: application/json" in command, command
    assert "open http" not in text  # no macOS-only commands


def test_every_block_of_the_walkthrough_works_when_pasted(walkthrough: list[tuple[str, int, str]]) -> None:
    for block, status, output in walkthrough:
        assert status == 0, (block, output)
    keys, parcelvoy, hook, reward, board, heymint = (output for _, _, output in walkthrough)

    listed = _json_lines(keys)[0]
    assert listed["success"] is True
    assert sorted(key["type"] for key in listed["data"]) == ["pk", "sk"]
    assert all("…" in key["maskedKey"] for key in listed["data"])

    assert parcelvoy.split() == ["204", "204"]
    assert _json_lines(hook) == [{"success": True}]

    assert _json_lines(reward)[0] == {"success": True}
    webhook = re.search(r"verified webhook (msg_[0-9a-f]{32}) \(user_reward\): (\{.*\})", reward)
    assert webhook is not None, reward
    delivered = json.loads(webhook.group(2))
    assert (delivered["xp"], delivered["entry_id"], delivered["kind"]) == (150, "welcome-bonus", "reward")

    leaderboard = _json_lines(board)[0]["data"]
    assert (leaderboard["rank"], leaderboard["total"]) == (1, 1)
    assert [entry["score"] for entry in leaderboard["leaderboard"]] == [150]

    assert "logs" in _json_lines(heymint)[0]


def test_heymint_sees_the_person_parcelvoy_identified(walkthrough: list[tuple[str, int, str]]) -> None:
    logs = _json_lines(walkthrough[-1][2])[0]["logs"]
    assert [(log["eventSlug"], log["source"]) for log in logs] == [("signed_up", "parcelvoy")]
