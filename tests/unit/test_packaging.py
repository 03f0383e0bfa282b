"""The distribution installs exactly one import name, `eenplan`, with every folder of src/ in it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_folder_of_src_is_listed_under_the_one_import_name() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == {"eenplan": "src"}
    folders = {
        ".".join(("eenplan", *init.parent.relative_to(ROOT / "src").parts))
        for init in (ROOT / "src").rglob("__init__.py")
    }
    assert set(config["packages"]) == folders
    assert {p.split(".")[0] for p in config["packages"]} == {"eenplan"}
