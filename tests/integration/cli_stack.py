"""`python -m local` as a person runs it: its own process, in a session of its own (as a terminal starts
it), its state under a folder of the test's (QUESTLINE_DIR), read line by line as it prints."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class CliStack:
    def __init__(self, home: Path, *args: str) -> None:
        self.home = home
        env = {**os.environ, "QUESTLINE_DIR": str(home), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local", "--port", "0", "--quiet", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own session and process group, as a terminal gives it
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self.lines.append("<exited>")
            self._changed.notify_all()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 240) -> str:
        """The first line containing `text`; fails when the stack exits or `timeout` passes first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                if "<exited>" in self.lines or time.monotonic() > deadline:
                    raise AssertionError(f"never printed {text!r}:\n{self.output}")
                self._changed.wait(timeout=1)

    def wait_ready(self) -> str:
        """The API's URL, once the stack says it is ready."""
        self.wait_for("Ctrl-C stops")
        found = re.search(r"http://127\.0\.0\.1:\d+", self.wait_for("  API  "))
        assert found is not None
        return found.group(0)

    def interrupt(self) -> None:
        """Ctrl-C in its terminal: SIGINT to its whole foreground process group."""
        os.killpg(self.process.pid, signal.SIGINT)

    def exit_code(self, timeout: float = 120) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGUSR1)  # the stack prints every thread's stack
            time.sleep(3)
            raise AssertionError(
                f"still running {timeout:.0f} s after it was told to stop:\n{self.output}"
            ) from None

    def session(self) -> list[str]:
        """Every live process of its session but itself (a dead one not yet reaped does not count)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            pid = int(stat.parent.name)
            state, _ppid, _group, session = text.rsplit(")", 1)[1].split()[:4]
            if int(session) == self.process.pid and pid != self.process.pid and state != "Z":
                try:
                    command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    command = "?"
                found.append(f"{pid} {state} {command[:400]}")
        return found

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        for line in self.session():  # nothing of a failed test may outlive it
            os.kill(int(line.split()[0]), signal.SIGKILL)


@contextmanager
def cli_stack(home: Path, *args: str) -> Iterator[CliStack]:
    stack = CliStack(home, *args)
    try:
        yield stack
    finally:
        stack.close()


def eventually_none_left(stack: CliStack, timeout: float = 30) -> list[str]:
    """Polls until no process of the stack's session is alive (or `timeout` passes); answers the rest."""
    deadline = time.monotonic() + timeout
    while (left := stack.session()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left
