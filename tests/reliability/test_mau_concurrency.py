"""MAU counting under concurrency on DynamoDB Local: exact, never double."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from questline.caches import reset_all
from questline.tenancy.mau import monthly_active, record_monthly_activity

AT = 1_795_330_800.0  # 2026-11


def test_concurrent_first_activities_count_each_identity_once(table_env: str) -> None:
    def activity(n: int) -> bool:
        return record_monthly_activity("e-rel", f"id-{n % 40}", at=AT)

    with ThreadPoolExecutor(max_workers=32) as pool:
        counted = list(pool.map(activity, range(200)))

    assert counted.count(True) == 40
    reset_all()
    assert monthly_active("e-rel", "2026-11") == 40
