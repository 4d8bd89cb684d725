"""`local/moto_fixes.py` takes costs out of moto's DynamoDB (answers serialized, UpdateExpressions parsed once
and validated on copies): moto answers exactly as it does without them, the same expression text used again
with other values included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

CALLS = Path(__file__).with_name("moto_answers.py")


def _answers(mode: str) -> list[object]:
    run = subprocess.run(
        [sys.executable, str(CALLS), mode, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=str(ROOT),
    )
    answers: list[object] = json.loads(run.stdout)
    return answers


def test_moto_answers_the_same_with_the_speedups() -> None:
    plain, fixed = _answers("plain"), _answers("fixed")
    assert len(plain) == 25
    assert fixed == plain
    # the calls reached what they meant to: items of every type, each update with its own values, refusals
    updated = [a[1]["Attributes"] for a in plain if a[0] == "update_item" and isinstance(a[1], dict) and a[1]]
    assert [u["s"] for u in updated[:3]] == [{"S": "x"}] * 3
    assert [u["m"]["M"]["x"] for u in updated[:3]] == [{"N": "1"}, {"N": "2"}, {"N": "3"}]
    assert [u["l2"] for u in updated[:3]] == [{"L": [{"N": str(n)}]} for n in range(3)]
    assert {a[1] for a in plain if len(a) == 3} >= {"ValidationException", "TransactionCanceledException"}
