"""What a function's execution environment can import, and from where (the fidelity tests run it with a
built function's interpreter, layer and environment)."""

import importlib
import sys


def probe(event, context):
    found = {}
    for name in event["modules"]:
        try:
            module = importlib.import_module(name)
        except ImportError:
            found[name] = None
        else:
            found[name] = {
                "file": getattr(module, "__file__", None),
                "version": getattr(module, "__version__", None),
            }
    return {
        "modules": found,
        "path": sys.path,
        "executable": sys.executable,
        "version": list(sys.version_info[:2]),
    }
