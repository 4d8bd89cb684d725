"""Monthly active identities: once per identity, entity and month."""

from __future__ import annotations

from datetime import UTC, datetime

from questline.caches import reset_all
from questline.storage import capacity, get_table, keys
from questline.tenancy.mau import monthly_active, record_monthly_activity
from tests.unit.conftest import Aws

NOV = datetime(2026, 11, 3, tzinfo=UTC).timestamp()
DEC = datetime(2026, 12, 1, tzinfo=UTC).timestamp()


def test_an_identity_counts_once_a_month_per_entity(aws: Aws) -> None:
    assert record_monthly_activity("e-1", "id-a", at=NOV) is True
    assert record_monthly_activity("e-1", "id-a", at=NOV + 3600) is False
    reset_all()  # a cold container has no memo: the marker still refuses a second count
    assert record_monthly_activity("e-1", "id-a", at=NOV + 7200) is False
    assert record_monthly_activity("e-1", "id-b", at=NOV) is True
    assert record_monthly_activity("e-2", "id-a", at=NOV) is True
    assert record_monthly_activity("e-1", "id-a", at=DEC) is True

    assert monthly_active("e-1", "2026-11") == 2
    assert monthly_active("e-1", "2026-12") == 1
    assert monthly_active("e-2", "2026-11") == 1
    assert monthly_active("e-1", "2027-01") == 0
    marker = get_table().get(keys.mau_marker("e-1", "2026-11", "id-a"))
    assert marker is not None and marker["type"] == "mau_marker" and marker["ttl"] > 0


def test_a_counted_identity_costs_no_write_while_the_container_remembers_it(aws: Aws) -> None:
    record_monthly_activity("e-1", "id-a", at=NOV)
    tally = capacity.reset()

    record_monthly_activity("e-1", "id-a", at=NOV)

    assert tally.calls == 0
