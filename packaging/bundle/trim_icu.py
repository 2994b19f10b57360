"""Rebuild Qt's ICU data library (``libicudata.so.NN``, 31 MB) with only the data that Qt's
ICU calls read: about 8 MB.

QtCore links ICU for collation (``QCollator``, which the file dialogs' file list sorts with),
case mapping by locale (``QLocale::toUpper``) and codecs by name (``QStringConverter``). Qt
keeps its own tables for locale formats and names, text boundaries, IDNA and normalisation, so
ICU's localised display names (languages, regions, currencies, units, time zones), its break
iterator rules and dictionaries, transliterators, spelled-out numbers and its 190 legacy
codec tables are never read by the app. Kept: the collation data of every locale, the locale
tree, the normalisation, case, property and time zone rule files, the codec alias table.
Without a codec table, a legacy codec by name (``QStringDecoder("Shift-JIS")``) is invalid;
UTF-8/16/32, Latin-1 and ASCII need no table. Inspector decodes files in Python, not Qt.

The data is one ICU "common data" package, the ``icudtNN_dat`` symbol of the library: a
header, a table of contents sorted by item name, the items (each 16-byte aligned). The
rebuilt package keeps the header and the kept items in their order; the new library is one
assembler ``.incbin`` of it under the same symbol and soname, linked with the C compiler.
The original stays whenever something fails (no compiler, an unexpected layout, a library
that does not load or lacks the symbol).

    python3 packaging/bundle/trim_icu.py BUNDLE_INTERNAL_DIR
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

# Trees and kinds of items left out (names inside the package, after "icudtNNl/").
LEFT_OUT_TREES = ("brkitr/", "curr/", "lang/", "rbnf/", "region/", "translit/", "unit/", "zone/")
LEFT_OUT_SUFFIXES = (".cnv",)


def left_out(item: str) -> bool:
    return item.startswith(LEFT_OUT_TREES) or item.endswith(LEFT_OUT_SUFFIXES)


class Unexpected(Exception):
    """The library or its data is not laid out as expected: leave it as it is."""


def find_symbol(elf: bytes, pattern: str) -> tuple[str, int, int]:
    """(name, file offset, size) of the first dynamic symbol matching ``pattern``, from the
    ELF64 little-endian section headers (.dynsym, its string table, the section it lies in)."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise Unexpected("not a 64-bit little-endian ELF file")
    shoff = struct.unpack_from("<Q", elf, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", elf, shoff + k * shentsize) for k in range(shnum)]
    # (name, type, flags, addr, offset, size, link, info, addralign, entsize)
    for sec in sections:
        if sec[1] != 11:  # SHT_DYNSYM
            continue
        strtab = sections[sec[6]]
        for pos in range(sec[4], sec[4] + sec[5], sec[9]):
            st_name, _info, _other, shndx, value, size = struct.unpack_from("<IBBHQQ", elf, pos)
            start = strtab[4] + st_name
            name = elf[start : elf.index(b"\0", start)].decode("ascii", "replace")
            if re.fullmatch(pattern, name) and 0 < shndx < len(sections):
                home = sections[shndx]
                return name, home[4] + (value - home[3]), size
    raise Unexpected(f"no symbol matching {pattern}")


def read_package(data: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The header and the (name, bytes) items of a little-endian common data package."""
    header_size = struct.unpack_from("<H", data, 0)[0]
    if data[2:4] != b"\xda\x27" or data[12:16] != b"CmnD" or data[8] != 0:
        raise Unexpected("not a little-endian ICU common data package")
    toc = header_size
    count = struct.unpack_from("<I", data, toc)[0]
    entries = [struct.unpack_from("<II", data, toc + 4 + 8 * k) for k in range(count)]
    # an item ends where the next one starts (the last one at the end of the package)
    starts = sorted({offset for _, offset in entries} | {len(data) - toc})
    items = []
    for name_offset, data_offset in entries:
        end = data.index(b"\0", toc + name_offset)
        name = data[toc + name_offset : end].decode("ascii")
        following = starts[starts.index(data_offset) + 1]
        items.append((name, data[toc + data_offset : toc + following]))
    if not items or any("/" not in name for name, _ in items):
        raise Unexpected("item names without the package prefix")
    return data[:header_size], items


def write_package(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """A common data package: the header, the table of contents (offsets from its start), the
    names, then the items, each 16-byte aligned, in the order given (sorted by name)."""
    names = b""
    name_offsets = []
    table = 4 + 8 * len(items)
    for name, _ in items:
        name_offsets.append(table + len(names))
        names += name.encode("ascii") + b"\0"
    position = table + len(names)
    position += -position % 16
    body = b""
    data_offsets = []
    for _, item in items:
        data_offsets.append(position + len(body))
        body += item + b"\0" * (-len(item) % 16)
    out = bytearray(header)
    out += struct.pack("<I", len(items))
    for name_offset, data_offset in zip(name_offsets, data_offsets):
        out += struct.pack("<II", name_offset, data_offset)
    out += names
    out += b"\0" * (-(len(out) - len(header)) % 16)
    out += body
    return bytes(out)


def trim_package(data: bytes) -> tuple[bytes, int, int]:
    """The common data package without the items left out; (package, kept, left out)."""
    header, items = read_package(data)
    kept = [(name, body) for name, body in items if not left_out(name.split("/", 1)[1])]
    return write_package(header, kept), len(kept), len(items) - len(kept)


def build_library(package: bytes, symbol: str, soname: str, out: Path, cc: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        blob = Path(tmp) / "data.bin"
        blob.write_bytes(package)
        source = Path(tmp) / "icudata.S"
        source.write_text(
            "\t.section .rodata\n"
            f"\t.globl {symbol}\n\t.type {symbol}, @object\n\t.balign 16\n{symbol}:\n"
            f'\t.incbin "{blob}"\n\t.size {symbol}, . - {symbol}\n'
            '\t.section .note.GNU-stack,"",@progbits\n'
        )
        subprocess.run(
            [cc, "-shared", "-nostdlib", f"-Wl,-soname,{soname}", "-o", str(out), str(source)],
            check=True,
            capture_output=True,
        )


def exports(path: Path, symbol: str) -> bool:
    try:
        lib = ctypes.CDLL(str(path), mode=os.RTLD_LOCAL)
        ctypes.c_char.in_dll(lib, symbol)
    except (OSError, ValueError):
        return False
    return True


def trim(library: Path, cc: str) -> tuple[int, int, int]:
    """Replace ``library`` with the trimmed one; (bytes saved, items kept, items left out)."""
    elf = library.read_bytes()
    symbol, offset, size = find_symbol(elf, r"icudt\d+_dat")
    package, kept, dropped = trim_package(elf[offset : offset + size])
    trial = library.with_name(library.name + ".trimmed")
    try:
        build_library(package, symbol, library.name, trial, cc)
        if not exports(trial, symbol):
            raise Unexpected(f"the rebuilt library does not load or lacks {symbol}")
        saved = library.stat().st_size - trial.stat().st_size
        shutil.copymode(library, trial)
        trial.replace(library)
    finally:
        trial.unlink(missing_ok=True)
    return saved, kept, dropped


def main() -> int:
    folder = Path(sys.argv[1])
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    libraries = [
        p
        for p in sorted(folder.rglob("libicudata.so*"))
        if p.is_file() and not p.is_symlink() and re.fullmatch(r"libicudata\.so\.\d+", p.name)
    ]
    if not libraries:
        print("trim_icu: no libicudata.so.NN here")
        return 0
    if cc is None:
        print("trim_icu: no C compiler (cc): ICU's data stays whole")
        return 0
    for library in libraries:
        try:
            saved, kept, dropped = trim(library, cc)
        except (Unexpected, subprocess.CalledProcessError, ValueError, struct.error) as exc:
            print(f"trim_icu: {library.name} stays whole: {exc}")
            continue
        print(
            f"trim_icu: {library.name}: {saved / 2**20:.1f} MB less "
            f"({kept} items kept, {dropped} left out)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
