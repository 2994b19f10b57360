"""packaging/install-desktop-entry.sh for a standalone bundle: the menu entry and the icon
point at the bundle (with --bundle DIR, or run from the copy inside the bundle), and
~/.local/bin/inspector links to it. A stand-in bundle (a shell script) is enough here;
tests/packaging/test_bundle.py builds the real one."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "install-desktop-entry.sh"


def fake_bundle(folder: Path) -> Path:
    (folder / "_internal" / "inspector" / "resources").mkdir(parents=True)
    shutil.copy(ROOT / "resources" / "icon.svg", folder / "_internal/inspector/resources")
    exe = folder / "inspector"
    exe.write_text('#!/bin/sh\necho bundle "$@"\n')
    exe.chmod(0o755)
    return folder


def install(args: list[str], home: Path, script: Path = SCRIPT) -> subprocess.CompletedProcess:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "XDG_DATA_HOME": str(home / "data")}
    return subprocess.run(
        ["bash", str(script), *args], capture_output=True, text=True, env=env, check=False
    )


def entry(home: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(home / "data" / "applications" / "inspector.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


@pytest.mark.parametrize("folder_name", ["inspector", "my apps/inspector"])
def test_the_entry_starts_the_bundle_given(tmp_path, folder_name):
    bundle = fake_bundle(tmp_path / folder_name)
    home = tmp_path / "home"
    proc = install(["--bundle", str(bundle)], home)
    assert proc.returncode == 0, proc.stderr
    section = entry(home)
    assert section["Exec"] == f'"{bundle / "inspector"}" %f'
    assert section["TryExec"] == str(bundle / "inspector")
    assert section["Icon"] == "inspector" and section["Name"] == "Inspector"
    icon = home / "data" / "icons" / "hicolor" / "scalable" / "apps" / "inspector.svg"
    assert icon.read_bytes() == (ROOT / "resources" / "icon.svg").read_bytes()
    link = home / ".local" / "bin" / "inspector"
    assert link.is_symlink() and link.resolve() == (bundle / "inspector").resolve()
    assert os.access(link, os.X_OK)


def test_the_copy_inside_a_bundle_installs_that_bundle(tmp_path):
    bundle = fake_bundle(tmp_path / "inspector")
    shutil.copy(SCRIPT, bundle / "install-desktop-entry.sh")
    shutil.copy(ROOT / "packaging" / "inspector.desktop", bundle / "inspector.desktop")
    home = tmp_path / "home"
    proc = install([], home, script=bundle / "install-desktop-entry.sh")
    assert proc.returncode == 0, proc.stderr
    assert entry(home)["Exec"] == f'"{bundle / "inspector"}" %f'


def test_a_folder_that_is_no_bundle_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = install(["--bundle", str(tmp_path / "empty")], tmp_path / "home")
    assert proc.returncode == 1 and "not an Inspector bundle" in proc.stderr
    assert not (tmp_path / "home" / "data" / "applications" / "inspector.desktop").exists()


def test_an_inspector_already_in_local_bin_is_left_alone(tmp_path):
    bundle = fake_bundle(tmp_path / "inspector")
    home = tmp_path / "home"
    mine = home / ".local" / "bin" / "inspector"
    mine.parent.mkdir(parents=True)
    mine.write_text("#!/bin/sh\n")
    proc = install(["--bundle", str(bundle)], home)
    assert proc.returncode == 0, proc.stderr
    assert mine.read_text() == "#!/bin/sh\n" and not mine.is_symlink()
    assert entry(home)["Exec"] == f'"{bundle / "inspector"}" %f'
