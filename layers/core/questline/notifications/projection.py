"""From a person's activity, as the table's stream sees it, to an in-app notification by the campaign's
templates (`templates.py`): the one call the stream function makes (`questline.stream`).

Each activity item type has a builder that says whose notification it is, which template kind it uses and
what its placeholders and `custom.context` hold:

    completion        a task completed      -> the person; kind task
    quest_completion  a quest completed     -> the person; kind quest
    ledger_entry      a reward (kind reward, positive XP) -> the person; kind reward
    referral          a referral became valid -> the referrer; kind referral

Extension point: when the engine writes level items (a person reached a season or level), a `level`
builder joins `BUILDERS`, a `level` kind joins `templates.KINDS` (with its placeholders and default), and
the item type joins the stream's FilterCriteria in template.yaml. Nothing else changes.

Every notification is delivered by one conditional put whose id derives from the activity (`inbox.py`), so
a replayed stream record or batch changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from questline.campaigns import store
from questline.campaigns.definition import Campaign
from questline.errors import NotFound
from questline.notifications import inbox
from questline.storage.keys import PK, SK


class Activity(NamedTuple):
    kind: str
    recipient: str
    at: str
    values: dict[str, str]
    context: dict[str, Any]


Builder = Callable[[Mapping[str, Any], Campaign], Activity | None]


def _done(kind: str, noun: str, item: Mapping[str, Any], campaign: Campaign) -> Activity:
    """A task (`noun` action) or a quest completed: its id and name as placeholders and context."""
    done_id = str(item[f"{noun}_id"])
    found = campaign.action(done_id) if noun == "action" else campaign.quest(done_id)
    xp = item.get("xp", 0)
    context: dict[str, Any] = {f"{noun}_id": done_id}
    if "window" in item:
        context["window"] = item["window"]
    return Activity(
        kind,
        str(item["identity_id"]),
        str(item["at"]),
        {"xp": str(xp), f"{noun}.id": done_id, f"{noun}.name": found.name if found else done_id},
        {**context, "xp": xp},
    )


def _task(item: Mapping[str, Any], campaign: Campaign) -> Activity:
    return _done("task", "action", item, campaign)


def _quest(item: Mapping[str, Any], campaign: Campaign) -> Activity:
    return _done("quest", "quest", item, campaign)


def _reward(item: Mapping[str, Any], campaign: Campaign) -> Activity | None:
    xp = item.get("xp", 0)
    if item.get("kind") != "reward" or not isinstance(xp, int) or xp <= 0:
        return None  # withdrawals, and XP whose task or quest has its own notification
    return Activity(
        "reward",
        str(item["identity_id"]),
        str(item["created_at"]),
        {"xp": str(xp)},
        {"reward_id": item.get("entry_id"), "bucket": item.get("bucket"), "xp": xp},
    )


def _referral(item: Mapping[str, Any], campaign: Campaign) -> Activity | None:
    referrer = item.get("referrer_id")
    if not referrer or item.get("status") != "valid":
        return None
    return Activity("referral", str(referrer), str(item["at"]), {}, {})


BUILDERS: dict[str, Builder] = {
    "completion": _task,
    "quest_completion": _quest,
    "ledger_entry": _reward,
    "referral": _referral,
}


def on_activity(item: Mapping[str, Any]) -> int | None:
    """Deliver the notification an inserted activity item makes, if its campaign asks for one; returns
    its id."""
    builder = BUILDERS.get(str(item.get("type")))
    if builder is None or not item.get("pid") or not item.get("entity_id"):
        return None
    entity_id, pid = str(item["entity_id"]), str(item["pid"])
    try:
        campaign = store.load(entity_id, pid).campaign
    except NotFound:
        return None  # a draft-only campaign (env=dev) or one since deleted: nothing to say
    rules = campaign.notifications
    activity = builder(item, campaign) if rules is not None else None
    template = rules.template(activity.kind) if rules is not None and activity is not None else None
    if rules is None or activity is None or template is None:
        return None
    values = {"campaign.id": pid, "campaign.name": campaign.name, **activity.values}
    context = {"kind": activity.kind, "pid": pid, **activity.context}
    delivery = inbox.Delivery(
        kind=activity.kind,
        pid=pid,
        source=f"{item[PK]}|{item[SK]}",
        at=activity.at,
        content_type=template.content_type,
        content=template.content(values, context),
        expires_in_days=int(template.expires_in_days or rules.expires_in_days),
        private=rules.require_user_token,
    )
    return inbox.deliver(entity_id, activity.recipient, delivery)
