"""Every child process of the local stack ends with it, however it ends (Ctrl-C, an exception, `kill -9`).

The children (function workers, DynamoDB Local's Java) are put in one process group whose leader is this
small lifeline process. The lifeline reads a pipe from the process that started it; when that process is
gone, for whatever reason, the pipe reaches end-of-file and the lifeline kills its whole process group,
itself last. A process group rather than a parent-death signal: Linux sends PR_SET_PDEATHSIG when the
*thread* that forked a child ends, and workers are started from short-lived request threads.

Because the group is not the terminal's foreground process group, a Ctrl-C in the terminal reaches only
the stack itself, which stops its children in order (in-flight requests finish first).

    from local import lifeline
    subprocess.Popen([...], process_group=lifeline.process_group())
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

_lock = threading.Lock()
_lifeline: subprocess.Popen[bytes] | None = None


def process_group() -> int:
    """The process group the children of this process join (the lifeline is started on first use)."""
    global _lifeline  # noqa: PLW0603 - one lifeline per process
    with _lock:
        if _lifeline is None or _lifeline.poll() is not None:
            _lifeline = subprocess.Popen(
                [sys.executable, "-S", __file__],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                process_group=0,  # a group of its own, outside the terminal's foreground group
            )
        return _lifeline.pid


def _wait_for_parent_then_end_the_group() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while os.read(0, 4096):  # the parent never writes: this returns b"" once it is gone
        pass
    os.killpg(os.getpgid(0), signal.SIGKILL)


if __name__ == "__main__":
    _wait_for_parent_then_end_the_group()
