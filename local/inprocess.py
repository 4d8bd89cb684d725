"""Import a function's handler module into this process (unit tests, the OpenAPI builder).

In Lambda each function has its own import path; here they share one. Every function's handler module is
`app.py`, so each is loaded under its own name (`<function>_app`); every other module in a function's
folder must have a name no other function uses (a unit test checks), so all of them can stay importable.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from types import ModuleType

from local.template import FunctionSpec, Template

_loaded: dict[str, ModuleType] = {}


@functools.lru_cache(maxsize=1)
def function_specs() -> dict[str, FunctionSpec]:
    return Template.load().functions()


def load_function(logical_id: str) -> ModuleType:
    if logical_id in _loaded:
        return _loaded[logical_id]
    spec = function_specs()[logical_id]
    for path in [*map(str, spec.layers), str(spec.code_dir)]:
        if path not in sys.path:
            sys.path.append(path)
    module_file = spec.code_dir / (spec.handler.rpartition(".")[0].replace(".", "/") + ".py")
    name = f"{spec.short_name.lower()}_app"
    module_spec = importlib.util.spec_from_file_location(name, module_file)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    _loaded[logical_id] = module
    return module


def handler_of(logical_id: str) -> object:
    spec = function_specs()[logical_id]
    return getattr(load_function(logical_id), spec.handler.rpartition(".")[2])
