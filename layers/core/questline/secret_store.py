"""The stack's secrets, read at run time from SSM Parameter Store through Powertools Parameters, which keeps
each value for five minutes in the container (`POWERTOOLS_PARAMETERS_MAX_AGE` changes that). None of them is
ever a deployed value or an environment variable: the template gives each function only the path
(`PARAMETER_PATH`), and IAM lets a function read only the names it needs.

* `{path}/operator-key-hash`: the SHA-256 of the operator key (a String; the CLI writes it). Rotating the
  operator key is writing a new hash: every container uses it within five minutes, no redeploy.
* `{path}/oauth/{twitter,discord,slack}-client-secret`: the OAuth client secrets (SecureString).

A parameter that does not exist reads as "" (no operator key: operator calls are refused; no client secret:
the provider is called as a public client). Any other failure to read is retryable (503), never a guess.
"""

from __future__ import annotations

import logging
from typing import Any

from questline.errors import Retryable
from questline.settings import get_settings

logger = logging.getLogger(__name__)

OPERATOR_KEY_HASH = "operator-key-hash"


def oauth_client_secret_name(provider: str) -> str:
    return f"oauth/{provider.lower()}-client-secret"


def parameter_name(name: str) -> str:
    return f"{get_settings().parameter_path.rstrip('/')}/{name}"


def read(name: str, *, decrypt: bool = False) -> str:
    """The value of `{path}/{name}`, "" when there is none."""
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
    from botocore.exceptions import ClientError

    try:
        value: Any = parameters.get_parameter(parameter_name(name), decrypt=decrypt)
    except GetParameterError as error:
        cause = error.__cause__ or error.__context__
        if (
            isinstance(cause, ClientError)
            and cause.response.get("Error", {}).get("Code") == "ParameterNotFound"
        ):
            return ""
        logger.warning("a secret could not be read", extra={"parameter": name, "error": type(cause).__name__})
        raise Retryable("a setting of this deployment could not be read; try again") from error
    return str(value or "").strip()


def operator_key_hash() -> str:
    return read(OPERATOR_KEY_HASH).lower()


def oauth_client_secret(provider: str) -> str:
    return read(oauth_client_secret_name(provider), decrypt=True)


def forget() -> None:
    """Drop cached values and the SSM client (tests switch accounts and endpoints)."""
    from aws_lambda_powertools.utilities.parameters import clear_caches

    clear_caches()  # type: ignore[no-untyped-call]
