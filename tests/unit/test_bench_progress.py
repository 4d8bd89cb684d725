"""Long benchmark steps say how far they are, at every tenth of the work."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

from bench.common import Progress


def test_progress_reports_each_tenth_once_from_many_threads() -> None:
    out = io.StringIO()
    progress = Progress("loading", 1000, stream=out)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: progress.tick(), range(1000)))

    lines = out.getvalue().splitlines()
    assert [line.split(": ")[1].split("%")[0] for line in lines] == [str(p) for p in range(10, 101, 10)]
    assert lines[-1].startswith("  loading: 100% (1000/1000, ")
