"""packaging/bundle/strip_libs.py without a bundle: identical copies of a library become
relative links to one copy (numpy's and SciPy's wheels each vendor the same libgfortran)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def strip_libs():
    spec = importlib.util.spec_from_file_location(
        "inspector_bundle_strip_libs", ROOT / "packaging" / "bundle" / "strip_libs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_identical_libraries_become_links_to_one_copy(strip_libs, tmp_path):
    same = b"\x7fELF" + b"gfortran" * 100
    (tmp_path / "numpy.libs").mkdir()
    (tmp_path / "scipy.libs").mkdir()
    first = tmp_path / "numpy.libs" / "libgfortran-1.so.5.0.0"
    second = tmp_path / "scipy.libs" / "libgfortran-1.so.5.0.0"
    other = tmp_path / "scipy.libs" / "libgfortran-2.so.5.0.0"
    first.write_bytes(same)
    second.write_bytes(same)
    other.write_bytes(same + b"different")
    text = tmp_path / "scipy.libs" / "copy.txt"  # not a library: left as it is
    text.write_bytes(same)

    saved = strip_libs.link_duplicates(strip_libs.shared_libraries(tmp_path))

    assert saved == len(same)
    assert not first.is_symlink() and first.read_bytes() == same
    assert second.is_symlink() and second.read_bytes() == same
    assert not Path(second.readlink()).is_absolute()  # the bundle can move
    assert second.resolve() == first.resolve()
    assert not other.is_symlink() and other.read_bytes() == same + b"different"
    assert not text.is_symlink()
