"""packaging/bundle/pins.py without a build: the constraints that make the bundle's build
environment carry this environment's versions, except what requirements.txt pins itself."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PINS = ROOT / "packaging" / "bundle" / "pins.py"
REQUIREMENTS = ROOT / "packaging" / "bundle" / "requirements.txt"


@pytest.fixture(scope="module")
def pins():
    spec = importlib.util.spec_from_file_location("inspector_bundle_pins", PINS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_exact_pins_count_and_comments_are_ignored(pins):
    text = "numba==0.61.2  # LLVM 15\nLlvmLite == 0.44.0\nscipy>=1.10\n# numpy==1.0\npolars\n"
    assert pins.pinned_names(text) == {"numba", "llvmlite"}


def test_constraints_pin_installed_versions_except_the_requirements_pins(pins):
    lines = pins.constraints("numpy==2.2.6\npolars\n")
    names = {line.split("==")[0] for line in lines}
    assert "numpy" not in names and "trainset-inspector" not in names
    assert f"polars=={version('polars')}" in lines
    assert all(line.count("==") == 1 for line in lines)
    assert len(names) == len(lines)  # one pin a distribution


def test_the_script_writes_constraints_for_the_bundle_s_requirements():
    proc = subprocess.run(
        [sys.executable, str(PINS), str(REQUIREMENTS)], capture_output=True, text=True, check=True
    )
    lines = proc.stdout.split()
    names = {line.split("==")[0] for line in lines}
    assert not {"numba", "llvmlite", "numpy"} & names  # requirements.txt pins those
    assert f"scipy=={version('scipy')}" in lines
