"""Import the CLI package `hopqa_cli` from this checkout's cli/ folder.

The source folder is cli/ and an install maps it to `hopqa_cli` (pyproject.toml, [tool.setuptools] package-dir).
Tests run against the checkout they live in, so they load `hopqa_cli` from its cli/ directly: without an install
(PYTHONPATH=checkout), and instead of whatever copy another install (an editable install of another checkout, a wheel)
would provide. The test run imports this through conftest.py; a CLI subprocess calls `use_checkout_cli()` itself.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

CLI_DIR = Path(__file__).resolve().parents[1] / "cli"


def use_checkout_cli() -> None:
    """Make `import hopqa_cli` (and its submodules) load this checkout's cli/ folder."""
    if "hopqa_cli" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location("hopqa_cli", CLI_DIR / "__init__.py",
                                                  submodule_search_locations=[str(CLI_DIR)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["hopqa_cli"] = module
    spec.loader.exec_module(module)
