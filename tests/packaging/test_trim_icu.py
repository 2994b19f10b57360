"""packaging/bundle/trim_icu.py without a bundle: the rebuilt ICU data package keeps every kept
item byte for byte, and Qt (this environment's PySide6, with the trimmed library preloaded in
place of its own) still collates by locale and maps case, while a legacy codec's table is gone
(which shows that the trimmed data is the one read)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def trim_icu():
    spec = importlib.util.spec_from_file_location(
        "inspector_bundle_trim_icu", ROOT / "packaging" / "bundle" / "trim_icu.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def package(items: list[tuple[str, bytes]]) -> bytes:
    """A little-endian common data package as ICU's pkgdata lays it out (32-byte header)."""
    info = struct.pack("<HHBBBB4s4s4s", 20, 0, 0, 0, 2, 0, b"CmnD", b"\1\0\0\0", b"\3\0\0\0")
    header = struct.pack("<HBB", 32, 0xDA, 0x27) + info
    header += b"\0" * (32 - len(header))
    table = 4 + 8 * len(items)
    names = b"".join(name.encode() + b"\0" for name, _ in items)
    offsets, body, position = [], b"", table + len(names) + (-(table + len(names)) % 16)
    name_at = table
    for name, item in items:
        offsets.append((name_at, position + len(body)))
        name_at += len(name) + 1
        body += item + b"\0" * (-len(item) % 16)
    toc = struct.pack("<I", len(items)) + b"".join(struct.pack("<II", *o) for o in offsets)
    return header + toc + names + b"\0" * (-(table + len(names)) % 16) + body


def test_the_trimmed_package_keeps_the_kept_items_byte_for_byte(trim_icu):
    items = [
        ("icudt99l/brkitr/word.brk", b"w" * 40),
        ("icudt99l/coll/root.res", b"r" * 33),
        ("icudt99l/coll/sv.res", b"s" * 16),
        ("icudt99l/curr/de.res", b"c" * 7),
        ("icudt99l/ibm-943_P15A-2003.cnv", b"j" * 100),
        ("icudt99l/likelySubtags.res", b"l" * 5),
        ("icudt99l/ucadata.icu", b"u" * 70),
        ("icudt99l/zone/en.res", b"z" * 9),
    ]
    original = package(items)
    header, read = trim_icu.read_package(original)
    assert header == original[:32]
    # items read back are their bytes plus the 16-byte alignment padding
    assert [(n, b.rstrip(b"\0")) for n, b in read] == items

    trimmed, kept, dropped = trim_icu.trim_package(original)

    assert (kept, dropped) == (4, 4)
    _, again = trim_icu.read_package(trimmed)
    assert [(n, b.rstrip(b"\0")) for n, b in again] == [
        ("icudt99l/coll/root.res", b"r" * 33),
        ("icudt99l/coll/sv.res", b"s" * 16),
        ("icudt99l/likelySubtags.res", b"l" * 5),
        ("icudt99l/ucadata.icu", b"u" * 70),
    ]
    toc = struct.unpack_from("<I", trimmed, 32)[0]
    offsets = [struct.unpack_from("<II", trimmed, 36 + 8 * k)[1] for k in range(toc)]
    assert all(offset % 16 == 0 for offset in offsets)  # ICU reads items in place
    assert len(trimmed) < len(original)


def test_a_big_endian_or_foreign_file_is_left_alone(trim_icu):
    with pytest.raises(trim_icu.Unexpected):
        trim_icu.read_package(b"\x20\x00\xda\x27" + b"\0" * 8 + b"ToCP" + b"\0" * 40)
    with pytest.raises(trim_icu.Unexpected):
        trim_icu.find_symbol(b"MZ" + b"\0" * 100, r"icudt\d+_dat")


QT_CHECK = """
import functools, json
from PySide6.QtCore import QCollator, QCoreApplication, QLocale, QStringDecoder
app = QCoreApplication([])
def order(locale, words):
    return sorted(words, key=functools.cmp_to_key(QCollator(QLocale(locale)).compare))
numeric = QCollator(QLocale("en_US"))
numeric.setNumericMode(True)
print(json.dumps({
    "sv": order("sv_SE", ["z", "\\u00f6", "o", "a"]),
    "de": order("de_DE", ["z", "\\u00f6", "o", "a"]),
    "numeric": sorted(["f10", "f9", "f1"], key=functools.cmp_to_key(numeric.compare)),
    "tr_upper": QLocale("tr_TR").toUpper("i"),
    "latin1": QStringDecoder("ISO-8859-1").isValid(),
    "shift_jis": QStringDecoder("Shift-JIS").isValid(),
    "icudata": sorted({ln.split()[-1] for ln in open("/proc/self/maps") if "libicudata" in ln}),
}))
"""


def qt_icu_data() -> Path | None:
    try:
        import PySide6
    except ImportError:
        return None
    found = sorted((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    return found[0] if found else None


@pytest.mark.skipif(
    qt_icu_data() is None or shutil.which("cc") is None,
    reason="needs PySide6's own ICU (the wheel's) and a C compiler",
)
def test_qt_collates_and_maps_case_with_the_trimmed_data(trim_icu, tmp_path):
    source = qt_icu_data()
    assert source is not None
    library = tmp_path / source.resolve().name
    shutil.copy2(source.resolve(), library)

    saved, kept, dropped = trim_icu.trim(library, shutil.which("cc"))

    assert saved > source.stat().st_size // 2 and kept > 0 and dropped > 0
    env = {**os.environ, "LD_PRELOAD": str(library), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-c", QT_CHECK], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["icudata"] == [str(library)]
    assert got["sv"] == ["a", "o", "z", "\u00f6"]  # Swedish: ö after z (sv collation kept)
    assert got["de"] == ["a", "o", "\u00f6", "z"]
    assert got["numeric"] == ["f1", "f9", "f10"]
    assert got["tr_upper"] == "\u0130"  # Turkish dotted capital I
    assert got["latin1"] is True  # algorithmic, no table
    assert got["shift_jis"] is False  # its table was left out
