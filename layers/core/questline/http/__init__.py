"""HTTP glue: `Api` (one per endpoint-group function), `Routes` (one per resource), family envelopes."""

from questline.http.api import Api, CurrentPrincipal, Routes
from questline.http.envelopes import CLAIMR, ENDU, HEYMINT, PARCELVOY, PLATFORM, QUEST_PROTOCOL, Family

__all__ = [
    "CLAIMR",
    "ENDU",
    "HEYMINT",
    "PARCELVOY",
    "PLATFORM",
    "QUEST_PROTOCOL",
    "Api",
    "CurrentPrincipal",
    "Family",
    "Routes",
]
