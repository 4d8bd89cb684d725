"""`invoke` as documented: every sample event in events/ runs against a running local stack, its function
found from the event's own file-name prefix, every placeholder filled (what a placeholder names is made
first), and each answers the status the story below expects. Then `make invoke` itself, from a shell."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from local.events import EVENTS
from local.invoke import Invoker
from local.stack import LocalStack
from tests.integration.cli_stack import ROOT
from tests.support import FakeOAuthProvider
from tests.unit.test_entity_routing import SAMPLE_ORDER as ENTITY_STORY

# One story, so that what an event reads exists by then (the code before it is assigned, the hook before
# it is listed). Every file of events/ is in it.
STORY = [
    "platform_health",
    "platform_openapi",
    "platform_widget_script",
    "platform_widget_stylesheet",
    "platform_widget_preview",
    *ENTITY_STORY,  # the unit suite's order for the Entity API's events (delete last)
    "entities_get_no_key",
    "campaign_admin_put",
    "campaign_admin_publish",
    "campaign_admin_list",
    "campaign_admin_codes",
    "heymint_create_identity",
    "heymint_create_event",
    "heymint_log_by_slug",
    "heymint_log_by_id",
    "heymint_list_logs",
    "heymint_association",
    "heymint_claim",
    "heymint_read_identity",
    "heymint_find_identity",  # the identity heymint_create_identity made (uniqueIdentifier abcd1234)
    "heymint_link_identifier",
    "heymint_unlink_identifier",
    "client_identify",
    "client_alias",
    "client_devices",
    "client_events",
    "client_notifications",
    "client_read_notification",
    "ingest_record_platform",
    "ingest_record_fingerprint",
    "ingest_record_mutation",
    "claimr_users_token",
    "claimr_users_reward",
    "claimr_users_withdraw",
    "claimr_users_reward_reverse",  # reward-0001 after the withdrawal: what is left of it
    "claimr_users_boost",
    "claimr_users_balance",
    "claimr_users_activity",
    "claimr_users_progress",
    "claimr_users_streak",
    "claimr_users_achievements",
    "claimr_users_get_ref_id",
    "claimr_users_set_ref_id",
    "claimr_users_referrer",
    "claimr_users_referrals",
    "claimr_tasks_event",
    "claimr_tasks_events",
    "claimr_tasks_action_value",
    "claimr_tasks_stream_value",
    "claimr_campaigns_info",
    "claimr_campaigns_points",
    "claimr_campaigns_stats",
    "claimr_campaigns_dry_run",
    "claimr_campaigns_leaderboard",
    "claimr_campaigns_assign_code",
    "claimr_campaigns_get_code",
    "claimr_campaigns_release_code",
    "claimr_wallets_reward",
    "claimr_wallets_withdraw",
    "claimr_wallets_reward_reverse",
    "claimr_wallets_code",
    "claimr_wallets_ref_id",
    "claimr_wallets_referrals",
    "claimr_hooks_register",
    "claimr_hooks_list",
    "claimr_hooks_deliveries",
    "claimr_hooks_redeliver",
    "claimr_hooks_delete",
    "stream_ledger_entry",
    "stream_streak_sweep",
    "webhook_delivery_message",
    "erasure_message",
]

# What answers other than 2xx mean here (every other event answers 2xx).
NOT_2XX = {
    "entities_get_no_key": 401,  # the sample of a call without a credential
    "claimr_tasks_action_value": 422,  # score_update waits for daily_login (its deps), never done here
    "claimr_wallets_ref_id": 404,  # claimr: "an error when it has none"
    "claimr_hooks_redeliver": 404,  # names a message id no delivery has
    "client_read_notification": 404,  # the demo campaign makes no notifications: the id names none
    "heymint_unlink_identifier": 404,  # a fresh identity holds no fingerprint: identifier_not_linked
}


@pytest.fixture(scope="module")
def running(
    oauth_provider: FakeOAuthProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LocalStack, Path]]:
    home = tmp_path_factory.mktemp("invoke")
    stack = LocalStack(
        port=0,
        state_file=home / "local.json",
        log=lambda line: None,
        parameter_overrides=oauth_provider.parameters(),
        secrets=oauth_provider.secrets(),
        stack_name="invoke-samples",
    )
    stack.start()
    yield stack, home
    stack.stop()


def _status(result: object) -> object:
    if isinstance(result, dict) and "statusCode" in result:
        return result["statusCode"]
    return result  # a stream or queue batch answers its partial failures


def test_every_sample_event_answers_as_its_story_expects(running: tuple[LocalStack, Path]) -> None:
    stack, _ = running
    assert sorted(set(STORY)) == sorted(path.stem for path in EVENTS.glob("*.json"))
    made: list[str] = []
    invoker = Invoker(stack.state, log=made.append)
    codes = (f"good-{n}" for n in itertools.count())  # the fake provider's authorization codes
    answers: dict[str, object] = {}
    functions: dict[str, str] = {}
    try:
        for name in STORY:
            logical, outcome = invoker.invoke(None, name, {"OAUTH_CODE": next(codes)})
            assert outcome.ok, (name, outcome.error)
            functions[name] = logical
            answers[name] = _status(outcome.result)
    finally:
        invoker.close()

    expected: dict[str, object] = {
        name: NOT_2XX.get(name, "2xx")
        for name in STORY
        if not name.startswith(("stream_", "webhook_", "erasure_"))
    }
    seen = {
        name: "2xx" if 200 <= status < 300 else status
        for name, status in answers.items()
        if isinstance(status, int)
    }
    assert seen == expected
    assert answers["stream_ledger_entry"] == {"batchItemFailures": []}
    assert answers["webhook_delivery_message"] == {"batchItemFailures": []}  # no such hook: dropped, done
    assert answers["stream_streak_sweep"]["lost"] == 0  # the schedule's run: no streak expired
    assert answers["erasure_message"] == {"batchItemFailures": []}  # no such erasure: nothing to do
    assert functions["claimr_users_balance"] == "ClaimrUsersFunction"
    assert functions["heymint_claim"] == "HeyMintFunction"
    assert functions["webhook_delivery_message"] == "WebhookDeliveryFunction"
    assert functions["erasure_message"] == "ErasureFunction"
    for placeholder in ("IDENTITY_ID", "EVENT_ID", "CLAIM_TOKEN", "KEY_ID", "ADMIN_USER_ID", "REF_ID"):
        assert any(line.startswith(f"${{{placeholder}}} = ") for line in made), placeholder
    # the events that spend what they name (delete the entity, rotate the user's token) got their own:
    # the seeded credentials still work
    state, url = stack.state, stack.state["api_url"]
    entity = requests.get(
        f"{url}/api/entities/{state['entity_id']}", headers={"x-api-key": state["secret_key"]}, timeout=30
    )
    assert entity.status_code == 200 and entity.json()["data"]["status"] != "deleted"
    listed = requests.get(
        f"{url}/api/entities", headers={"userid": state["user_id"], "token": state["user_token"]}, timeout=30
    )
    assert listed.status_code == 200


MAKE_VARIABLES = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}


def _make_invoke(home: Path, *variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "invoke", "ARGS=", *variables],  # ARGS of a `make test` around us is exported
        cwd=ROOT,
        # a make of its own: not the variables (ARGS=…) of a `make test` this test may run under
        env={**{k: v for k, v in os.environ.items() if k not in MAKE_VARIABLES}, "QUESTLINE_DIR": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_make_invoke_runs_a_sample_event_against_the_running_stack(running: tuple[LocalStack, Path]) -> None:
    _, home = running
    shell = _make_invoke(home, "FUNCTION=claimr_users", "EVENT=events/claimr_users_token.json")
    assert shell.returncode == 0, shell.stderr
    answer = json.loads(shell.stdout)
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["data"]["token"].startswith("wt_")
    assert "ClaimrUsersFunction: status 200" in shell.stderr

    unknown = _make_invoke(home, "FUNCTION=nothing", "EVENT=events/platform_health.json")
    assert unknown.returncode != 0 and "no function 'nothing'" in unknown.stderr
