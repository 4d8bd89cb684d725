"""In-app notifications made by the engine: a person's task and quest completions, rewards and referrals
become the notifications the Parcelvoy SDKs show (`GET /api/client/notifications`).

* `templates` — the campaign JSON's `notifications` section: kinds, defaults, placeholders;
* `projection` — the stream's one call: an activity item to a notification;
* `inbox` — notifications in the table: delivered once, listed newest first, marked read;
* `service` — the routes' calls: who is asking, and for whom.
"""
