"""`pip install .` (not only editable) ships the TOML configs inside the wheel."""

import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT


def test_wheel_contains_every_config(tmp_path):
    pytest.importorskip("hatchling", reason="the test extra installs hatchling to build the wheel offline")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-w", str(tmp_path), "-q"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("scaling_cli-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    configs = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "configs").rglob("*.toml"))
    assert configs, "no configs found"
    for config in configs:
        assert f"scaling_cli/{config}" in names
    assert any(name.endswith("entry_points.txt") for name in names)
