"""What the table's stream does with one record (only the records the template's FilterCriteria let
through reach here). Every projection is idempotent, so a replayed record or batch changes nothing:

* an `event_log` inserted: the task engine (`campaigns.tasks`);
* an `identity` that became merged: its campaigns fold into the survivor (`campaigns.merges`);
* a `balance` inserted or changed: campaign statistics and the leaderboard (`campaigns.projection`), and
  `level.changed` when it crossed one of the campaign's levels (`campaigns.levels`);
* a `referral` inserted: the referrer's referral tasks (also run right after the change that made it);
* an activity item inserted (completions, ledger entries, referrals, widget tokens): one webhook message
  per matching hook, queued once however often the record is replayed (`webhooks.fanout`);
* an identity that became merged, or a refused link's conflict first recorded: an `identity.merged` or
  `identity.conflict` message per `identity` hook, queued once likewise;
* a person's completion, quest, reward or valid referral inserted: the in-app notification its campaign's
  templates make, delivered once (`notifications.projection`).

A preview's items (`env=dev`, `campaigns.preview`) get the task engine and referral evaluation only: they
feed no leaderboard, no statistics and no notification, and fire no webhook.
"""

from __future__ import annotations

from typing import Any

from questline.campaigns.preview import is_preview
from questline.storage.codec import from_item
from questline.webhooks import fanout


def _image(record: dict[str, Any], which: str) -> dict[str, Any] | None:
    image = record.get("dynamodb", {}).get(which)
    return from_item(image) if image else None


def describe_record(record: dict[str, Any], error: BaseException) -> dict[str, Any]:
    """What a log line may say about a record that failed: where it is in the stream, its keys, its item
    type and the cause. Never the images, which can hold tokens and personal data."""
    change = record.get("dynamodb", {})
    raw_keys = change.get("Keys") or {}
    try:
        keys: Any = from_item(raw_keys)
    except (TypeError, ValueError):
        keys = raw_keys
    image = change.get("NewImage") or change.get("OldImage") or {}
    item_type = (image.get("type") or {}).get("S")
    return {
        "event_id": record.get("eventID"),
        "event_name": record.get("eventName"),
        "sequence_number": change.get("SequenceNumber"),
        "keys": keys,
        "item_type": item_type,
        "error": type(error).__name__,
        "reason": str(error)[:300],
    }


def project_balances(records: list[dict[str, Any]]) -> set[str]:
    """Count a batch's balance changes together (`campaigns.projection.apply_batch`: one write per tree
    node and statistic they share, not one per change); returns the ids of the records it counted, which
    `project_record` then passes over. When the batch cannot be counted together, nothing is skipped:
    each record is counted on its own, and the revision check makes the ones counted already no-ops."""
    balances, ids = [], set()
    for record in records:
        new = _image(record, "NewImage")
        if new is not None and new.get("type") == "balance" and not is_preview(new.get("pid")):
            balances.append(new)
            if record.get("eventID"):
                ids.add(str(record["eventID"]))
    if not balances:
        return set()
    from questline.campaigns.projection import apply_batch

    try:
        apply_batch(balances)
    except Exception:  # noqa: BLE001 - the per-record path retries each, and reports the ones that fail
        from questline.observability import logger

        logger.exception("the batch's balances are counted record by record")
        return set()
    return ids


def project_record(record: dict[str, Any], *, balance_counted: bool = False) -> int:
    """Apply one record; returns the task completions it earned (for the batch's log line).
    `balance_counted`: a balance record `project_balances` counted already."""
    event = record.get("eventName")
    new, old = _image(record, "NewImage"), _image(record, "OldImage")
    if new is None:
        return 0
    kind = new.get("type")
    preview = is_preview(new.get("pid"))
    earned = 0
    if kind == "event_log" and event == "INSERT":
        from questline.campaigns.tasks import on_event_log

        earned = on_event_log(new)
    elif kind == "identity" and new.get("status") == "merged" and (old or {}).get("status") != "merged":
        from questline.campaigns.merges import consolidate
        from questline.tenancy.mau import fold_merged

        consolidate(str(new["entity_id"]), str(new["merged_into"]), str(new["identity_id"]))
        fold_merged(str(new["entity_id"]), str(new["merged_into"]), str(new["identity_id"]))
    elif kind == "balance" and not preview:
        if not balance_counted:  # (counted with its batch by `project_balances` otherwise)
            from questline.campaigns.projection import apply_balance

            apply_balance(new)
        from questline.campaigns.levels import level_changed
        from questline.campaigns.rank_moves import rank_changed

        level_changed(str(record.get("eventID", "")), new, old)  # whichever way it was counted
        rank_changed(str(record.get("eventID", "")), new)
    if kind == "referral" and event == "INSERT":
        from questline.campaigns import participants, store

        scope = store.scope_of(str(new["entity_id"]), str(new["pid"]))
        if scope is not None:
            participants.evaluate_referrer(
                scope.entity_id, scope.storage_pid, str(new["referrer_id"]), scope.campaign
            )
    identity_event = fanout.identity_event(event, new, old)
    if identity_event is not None:
        fanout.fan_out_event(
            str(record.get("eventID", "")), str(new["entity_id"]), fanout.IDENTITY_SCOPE, *identity_event
        )
    if event == "INSERT" and not preview:
        from questline.notifications.projection import on_activity

        on_activity(new)
        fanout.fan_out(str(record.get("eventID", "")), new)
    return earned
