"""Ids that name a person in public answers (leaderboards, the widget's reads, referral lists) and grant
nothing: an identity id is accepted by Endu's `c_user_id` and names a person everywhere, so it never leaves
through a public answer. A public id is opaque and per campaign (the same person has unrelated ids in two
campaigns), derived from a signing secret so it cannot be computed from an identity id."""

from __future__ import annotations

import base64
import hashlib
import hmac

from questline import signing

PURPOSE = "public-user-id"


def public_user_id(entity_id: str, pid: str, identity_id: str) -> str:
    digest = hmac.new(signing.key_for(PURPOSE), f"{entity_id}:{pid}:{identity_id}".encode(), hashlib.sha256)
    return "u_" + base64.b32encode(digest.digest()[:15]).decode().lower()
