"""Lambda fidelity: the functions as `sam build` built them, run with python3.13, the built layer and the
Lambda runtime's boto3 alone (`local.fidelity`). `make fidelity-build` makes what these tests run; they fail,
never skip, when it is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from local import fidelity
from local.template import Template


@pytest.fixture(scope="session")
def built() -> Path:
    missing = [p for p in (fidelity.BUILT_TEMPLATE, fidelity.RUNTIME / ".requirements") if not p.exists()]
    assert not missing, f"{missing} missing: run `make fidelity-build` first"
    return fidelity.BUILT_TEMPLATE


def built_template(environment: str, built: Path) -> Template:
    """The built template with an environment's exact parameter values (its Stage too)."""
    from local import samconfig
    from local.provision import name_functions

    template = Template.load(built, stack_name=f"fidelity-{environment}")
    template.set_parameters(samconfig.parameter_overrides(environment))
    name_functions(template)
    return template
