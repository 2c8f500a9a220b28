"""Load a repository script (not a package module) by path, for tests.

``from script_loader import load_script`` (tests import sibling modules by name).
Every call executes the file afresh, so a test may change module globals (``ROOT``,
say) without affecting another.
"""

from __future__ import annotations

import sys
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(name: str, folder: str = "scripts") -> ModuleType:
    """Execute ``<repo>/<folder>/<name>.py`` as a module named ``name`` and return it."""
    spec = spec_from_file_location(name, ROOT / folder / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = module_from_spec(spec)
    # Registered before it runs, as an import would: dataclasses look their module up there.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
