"""Modules loaded on first use, for a function's API models.

Creating a pydantic model class costs about a third of a millisecond even with `defer_build` (field
collection, type-hint evaluation), and an endpoint group with thirty routes has dozens of models. Powertools
evaluates a route's annotations only when that route first runs, so a route module that reaches its models
through a lazily loaded module (`models.EntityView` in an annotation) pays for them on the first request
that needs them, not at every cold start:

    if TYPE_CHECKING:
        import entity_models as models
    else:
        models = lazy_import("entity_models")
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_import(name: str) -> ModuleType:
    """`name`, executed on its first attribute access (`importlib.util.LazyLoader`)."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
