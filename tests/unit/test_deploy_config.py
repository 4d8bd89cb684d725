"""A deploy that works the first time: every environment `sam deploy --config-env` can use gives every
parameter the template has no default for, names only parameters the template has, with values the template
allows, and keeps its secrets apart from the other environments'."""

from __future__ import annotations

import re

import pytest

from local import samconfig
from local.template import load_template

PARAMETERS = load_template()["Parameters"]
ENVIRONMENTS = samconfig.deployable_environments()


def test_dev_and_prod_are_the_environments_and_nothing_else_deploys() -> None:
    assert sorted(ENVIRONMENTS) == ["dev", "prod"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_an_environment_gives_every_parameter_without_a_default(environment: str) -> None:
    given = samconfig.parameter_overrides(environment)
    required = {name for name, spec in PARAMETERS.items() if "Default" not in spec}

    assert required - set(given) == set(), f"[{environment}] leaves these ungiven"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_an_environment_gives_only_parameters_the_template_has_with_allowed_values(environment: str) -> None:
    for name, value in samconfig.parameter_overrides(environment).items():
        assert name in PARAMETERS, f"[{environment}] sets {name}, which template.yaml does not have"
        spec = PARAMETERS[name]
        if "AllowedValues" in spec:
            assert value in map(str, spec["AllowedValues"]), (environment, name, value)
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), (environment, name, value)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_an_environment_names_its_stage_and_where_its_secrets_live(environment: str) -> None:
    given = samconfig.parameter_overrides(environment)

    assert given["Stage"] == environment
    assert given["ParameterPath"] == f"/{samconfig.stack_name(environment)}"


def test_prod_traces_and_keeps_its_logs_longer() -> None:
    prod = samconfig.parameter_overrides("prod")

    assert prod["Tracing"] == "Active"
    assert int(prod["LogRetentionDays"]) > int(samconfig.parameter_overrides("dev")["LogRetentionDays"])


def test_parameter_overrides_are_read_as_sam_reads_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "samconfig.toml"
    config.write_text(
        "version = 0.1\n"
        '[a.deploy.parameters]\nparameter_overrides = "Stage=dev ClaimBaseUrl=\\"https://x y\\""\n'
        '[b.deploy.parameters]\nparameter_overrides = ["Stage=prod", "LogLevel=INFO"]\n'
    )

    assert samconfig.parameter_overrides("a", config) == {"Stage": "dev", "ClaimBaseUrl": "https://x y"}
    assert samconfig.parameter_overrides("b", config) == {"Stage": "prod", "LogLevel": "INFO"}
