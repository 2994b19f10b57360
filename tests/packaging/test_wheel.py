"""What a user gets from `pip install` (not the editable install the tests run from): the
wheel carries every module and the resources, and the installed package runs on its own."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (found,) = out.glob("trainset_inspector-*.whl")
    return found


def test_the_wheel_carries_every_module_and_resource(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "inspector").rglob("*.py")}
    assert modules and modules <= names, sorted(modules - names)
    resources = {f"inspector/resources/{p.name}" for p in (ROOT / "resources").glob("*.toml")}
    assert {"inspector/resources/keymap.toml", "inspector/resources/labels.toml"} <= resources
    assert resources | {"inspector/resources/icon.svg"} <= names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry).decode()
    assert "inspector = inspector.cli:main" in text


def test_the_unpacked_wheel_runs_away_from_the_source_tree(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    data = tmp_path / "d.jsonl"
    data.write_text(
        "".join(json.dumps({"instruction": f"Q{i}?", "output": f"A{i}."}) + "\n" for i in range(3))
    )
    env = {**os.environ, "PYTHONPATH": str(site), "INSPECTOR_HOME": str(tmp_path / "home")}
    check = (
        "import inspector, sys; from inspector.core.paths import resources_dir;"
        "from inspector.core.labels.states import default_label_set;"
        "from inspector.core.junk.quality_rules import load_rules;"
        "print(inspector.__file__); print(resources_dir());"
        "assert default_label_set().tags and load_rules()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    module_file, resources = proc.stdout.split()
    assert Path(module_file).is_relative_to(site) and Path(resources).is_relative_to(site)
    proc = subprocess.run(
        [sys.executable, "-m", "inspector", "info", str(data), "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout[proc.stdout.index("{") :])["rows"] == 3


def test_the_desktop_entry_starts_the_installed_command():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(ROOT / "packaging" / "inspector.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application" and section["Name"] == "Inspector"
    assert section["Exec"].split()[0] == "inspector" and section["Icon"] == "inspector"
    assert "application/vnd.apache.parquet" in section["MimeType"].split(";")
    assert (ROOT / "resources" / "icon.svg").is_file()
