"""The installed package holds every subpackage: pyproject lists packages by hand (the CLI's folder is mapped), so a
new folder under hopqa/ that is not listed would be missing from a non-editable install (`pip install .`)."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_hopqa_subpackage_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "hopqa").rglob("__init__.py")}
    assert found - listed == set(), f"add to [tool.setuptools] packages in pyproject.toml: {sorted(found - listed)}"
    assert "hopqa_cli" in listed and (ROOT / "cli" / "__init__.py").exists()
