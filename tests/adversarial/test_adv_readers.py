"""Hostile data files: truncated and bomb-like compressed input, lines past the cap, paths that
are not regular files, read errors from the disk, and a UTF-8 byte order mark.

Each test makes its own small files. What a user must see: an error naming the file (and the
line, and the cap with the flag that raises it), never rows that silently went missing.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import pathlib
import socket
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
import zstandard

from inspector.cli import main
from inspector.core.data.dataset import ROW, open_dataset
from inspector.core.data.readers import ReadLimits, read_file
from inspector.core.data.sources import find_sources
from inspector.core.errors import DataError, InputTooLarge

BOM = b"\xef\xbb\xbf"
MB = 10**6


def jsonl_lines(n: int) -> bytes:
    return b"".join(
        b'{"instruction": "question %d", "output": "answer %d"}\n' % (i, i) for i in range(n)
    )


def compress(data: bytes, how: str) -> bytes:
    if how == "gz":
        return gzip.compress(data)
    return zstandard.ZstdCompressor().compress(data)


def zeros_bomb(path: Path, how: str, size: int) -> Path:
    """``size`` zero bytes compressed, made a MB at a time (never all in memory)."""
    block = bytes(1 << 20)
    if how == "gz":
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)
        with path.open("wb") as fh:
            for _ in range(size >> 20):
                fh.write(comp.compress(block))
            fh.write(comp.flush())
    else:
        with path.open("wb") as fh, zstandard.ZstdCompressor().stream_writer(fh) as w:
            for _ in range(size >> 20):
                w.write(block)
    return path


# -- 7. truncated compressed input ------------------------------------------------------------


@pytest.mark.parametrize("how", ["zst", "gz"])
@pytest.mark.parametrize("skip_bad_lines", [False, True])
def test_truncated_compressed_file_is_an_error(tmp_path, how, skip_bad_lines):
    whole = compress(jsonl_lines(100_000), how)
    path = tmp_path / f"train.jsonl.{how}"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    with pytest.raises(DataError) as caught:
        read_file(path, skip_bad_lines=skip_bad_lines)
    assert str(path) in str(caught.value)
    assert "truncated" in str(caught.value)
    with pytest.raises(DataError, match="truncated"):
        open_dataset(tmp_path, skip_bad_lines=skip_bad_lines)


@pytest.mark.parametrize("how", ["zst", "gz"])
def test_cut_inside_the_last_bytes_is_an_error(tmp_path, how):
    """A cut in the stream's trailer (gzip's checksum, zstd's last block) is caught too."""
    whole = compress(jsonl_lines(1000), how)
    path = tmp_path / f"train.jsonl.{how}"
    path.write_bytes(whole[:-3])
    with pytest.raises(DataError, match="truncated"):
        read_file(path, skip_bad_lines=True)


@pytest.mark.parametrize("how", ["zst", "gz"])
def test_several_frames_or_members_read_whole(tmp_path, how):
    """Concatenated gzip members / zstd frames (``cat a.gz b.gz``) are one valid stream."""
    path = tmp_path / f"train.jsonl.{how}"
    path.write_bytes(compress(jsonl_lines(10), how) + compress(jsonl_lines(7), how))
    result = read_file(path)
    assert result.frame.height == 17
    assert result.row_index.tolist() == list(range(17))


def test_garbage_after_the_stream_is_an_error(tmp_path):
    path = tmp_path / "train.jsonl.gz"
    path.write_bytes(compress(jsonl_lines(10), "gz") + b"not gzip at all")
    with pytest.raises(DataError) as caught:
        read_file(path)
    assert str(path) in str(caught.value)


# -- 10. decompression bombs and lines past the cap ---------------------------------------------


@pytest.mark.parametrize("how", ["gz", "zst"])
def test_bomb_stops_at_the_cap_without_filling_memory(tmp_path, how):
    path = zeros_bomb(tmp_path / f"bomb.jsonl.{how}", how, 64 << 20)
    limits = ReadLimits(max_decompressed_bytes=4 * MB, max_line_bytes=None)
    tracemalloc.start()
    try:
        with pytest.raises(InputTooLarge) as caught:
            read_file(path, limits=limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert str(path) in message
    assert "--max-decompressed-gb" in message
    assert caught.value.flag == "--max-decompressed-gb"
    # The whole stream is 64 MB: stopping at the 4 MB cap keeps far below it.
    assert peak < 32 << 20


def test_default_cap_is_a_ratio_of_the_compressed_size(tmp_path):
    limits = ReadLimits()
    assert limits.decompressed_cap(3 * MB) >= 10**9  # a floor: small files are never refused
    assert limits.decompressed_cap(100 * 10**9) == 100 * 100 * 10**9
    assert ReadLimits(max_decompressed_bytes=5).decompressed_cap(100 * 10**9) == 5


@pytest.mark.parametrize("how", ["gz", "zst", None])
def test_line_longer_than_the_cap_is_an_error(tmp_path, how):
    long_line = b'{"instruction": "' + b"x" * (3 * MB) + b'", "output": "y"}\n'
    data = jsonl_lines(5) + long_line + jsonl_lines(2)
    path = tmp_path / ("train.jsonl" + (f".{how}" if how else ""))
    path.write_bytes(compress(data, how) if how else data)
    limits = ReadLimits(max_line_bytes=1 * MB)
    with pytest.raises(InputTooLarge) as caught:
        read_file(path, limits=limits, skip_bad_lines=True)
    assert caught.value.flag == "--max-line-mb"
    assert caught.value.line == 6
    assert "--max-line-mb" in str(caught.value) and str(path) in str(caught.value)
    # Raised cap: the same file reads.
    assert read_file(path, limits=ReadLimits(max_line_bytes=4 * MB)).frame.height == 8


def test_line_cap_leaves_one_line_json_arrays_alone(tmp_path):
    """A JSON array written on one line is not a file of lines: only the size cap applies."""
    records = [{"instruction": f"q{i}", "output": "a" * 1000} for i in range(2000)]
    path = tmp_path / "train.json.gz"
    path.write_bytes(gzip.compress(json.dumps(records).encode()))
    result = read_file(path, limits=ReadLimits(max_line_bytes=100_000))
    assert result.frame.height == 2000


def test_zeros_without_newlines_stop_at_the_line_cap(tmp_path):
    path = zeros_bomb(tmp_path / "bomb.jsonl.gz", "gz", 32 << 20)
    with pytest.raises(InputTooLarge) as caught:
        read_file(path, limits=ReadLimits(max_line_bytes=2 * MB))
    assert caught.value.line == 1
    assert caught.value.flag == "--max-line-mb"


def test_cli_flags_raise_the_caps(tmp_path, capsys):
    data = jsonl_lines(3) + b'{"instruction": "' + b"x" * (2 * MB) + b'", "output": "y"}\n'
    path = tmp_path / "train.jsonl.gz"
    path.write_bytes(gzip.compress(data))
    project = str(tmp_path / "p.sqlite")
    assert main(["info", str(path), "--project", project, "--max-line-mb", "1"]) == 1
    err = capsys.readouterr().err
    assert "--max-line-mb" in err and str(path) in err and "line 4" in err
    assert main(["info", str(path), "--project", project, "--max-line-mb", "3"]) == 0
    assert main(["info", str(path), "--project", project, "--max-decompressed-gb", "0.001"]) == 1
    assert "--max-decompressed-gb" in capsys.readouterr().err


def test_environment_sets_the_caps(monkeypatch):
    monkeypatch.setenv("INSPECTOR_MAX_DECOMPRESSED_GB", "2.5")
    monkeypatch.setenv("INSPECTOR_MAX_LINE_MB", "7")
    limits = ReadLimits.from_settings()
    assert limits.max_decompressed_bytes == 2_500_000_000
    assert limits.max_line_bytes == 7 * MB
    flagged = ReadLimits.from_settings(max_line_mb=9)
    assert flagged.max_line_bytes == 9 * MB
    monkeypatch.setenv("INSPECTOR_MAX_LINE_MB", "lots")
    with pytest.raises(DataError, match="INSPECTOR_MAX_LINE_MB"):
        ReadLimits.from_settings()


# -- 12. paths that are not data files, and read errors ----------------------------------------


def test_fifo_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "data.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(DataError) as caught:
        find_sources(fifo)
    assert "not a regular file" in str(caught.value)
    assert "folder" not in str(caught.value)
    with pytest.raises(DataError, match="not a regular file"):
        read_file(fifo)  # and it never blocks waiting for a writer


def test_socket_is_not_a_regular_file(tmp_path):
    path = tmp_path / "s.jsonl"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
        with pytest.raises(DataError, match="not a regular file"):
            open_dataset(path)
    finally:
        sock.close()


def test_device_is_not_a_regular_file():
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null here")
    with pytest.raises(DataError) as caught:
        open_dataset("/dev/null")
    assert "not a regular file" in str(caught.value) and "/dev/null" in str(caught.value)


def test_folder_without_data_files(tmp_path):
    (tmp_path / "README.md").write_text("# notes\n")
    os.mkfifo(tmp_path / "pipe.jsonl")  # a FIFO inside is skipped, never opened
    with pytest.raises(DataError) as caught:
        open_dataset(tmp_path)
    assert "holds no data files" in str(caught.value) and str(tmp_path) in str(caught.value)


@pytest.fixture
def eio_on(monkeypatch):
    """Make every read of one file fail as a failing disk does (EIO)."""
    real_open = pathlib.Path.open

    def install(target: Path):
        def failing_open(self, *args, **kwargs):
            if Path(self) == target:
                raise OSError(errno.EIO, os.strerror(errno.EIO), str(self))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(pathlib.Path, "open", failing_open)

    return install


def test_read_error_is_named(tmp_path, eio_on):
    path = tmp_path / "data.jsonl"
    path.write_bytes(jsonl_lines(3))
    eio_on(path)
    with pytest.raises(DataError) as caught:
        open_dataset(path)
    message = str(caught.value)
    assert str(path) in message and "input/output error" in message


def test_read_error_while_reading_bytes(tmp_path, monkeypatch):
    """EIO in the middle of a read (after the open worked) is the same clear error."""
    path = tmp_path / "data.jsonl.gz"
    path.write_bytes(gzip.compress(jsonl_lines(3)))

    def failing_read_bytes(self):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(pathlib.Path, "read_bytes", failing_read_bytes)
    with pytest.raises(DataError) as caught:
        read_file(path)
    assert str(path) in str(caught.value) and "input/output error" in str(caught.value)


# -- 13. a UTF-8 byte order mark --------------------------------------------------------------


BOM_FILES = {
    "train.jsonl": BOM + jsonl_lines(3),
    "lines.json": BOM + jsonl_lines(3),
    "array.json": BOM + b"[" + b",".join(jsonl_lines(3).split(b"\n")[:-1]) + b"]\n",
    "train.csv": BOM + b"instruction,output\nquestion 0,answer 0\nquestion 1,answer 1\n"
    b"question 2,answer 2\n",
    "train.tsv": BOM + b"instruction\toutput\nquestion 0\tanswer 0\nquestion 1\tanswer 1\n"
    b"question 2\tanswer 2\n",
}


@pytest.mark.parametrize("name", sorted(BOM_FILES))
@pytest.mark.parametrize("how", [None, "gz", "zst"])
@pytest.mark.parametrize("skip_bad_lines", [False, True])
def test_byte_order_mark_is_accepted(tmp_path, name, how, skip_bad_lines):
    data = BOM_FILES[name]
    path = tmp_path / (name + (f".{how}" if how else ""))
    path.write_bytes(compress(data, how) if how else data)
    result = read_file(path, skip_bad_lines=skip_bad_lines)
    assert result.bad == []
    assert result.frame.columns == ["instruction", "output"]  # no '\ufeffinstruction'
    assert result.frame["instruction"].to_list() == ["question 0", "question 1", "question 2"]
    assert result.row_index.tolist() == [0, 1, 2]


def test_byte_order_mark_file_with_unknown_extension(tmp_path):
    (tmp_path / "part-0000").write_bytes(BOM + jsonl_lines(4))
    ds = open_dataset(tmp_path)
    assert ds.height == 4
    assert ds.frame[ROW].to_list() == [0, 1, 2, 3]


@pytest.mark.parametrize("name", ["train.jsonl", "array.json", "train.csv"])
@pytest.mark.parametrize("drop", [[0], [1], [0, 2]])
def test_apply_keeps_the_byte_order_mark(tmp_path, name, drop):
    """Removing rows from a BOM file keeps the BOM whichever rows go, and the rows that stay
    are the ones not removed."""
    from inspector.core.export.apply import write_without

    src = tmp_path / "in" / name
    src.parent.mkdir()
    src.write_bytes(BOM_FILES[name])
    ds = open_dataset(src)
    dst = tmp_path / ("out_" + name)
    positions = ds.frame[ROW].to_numpy()[drop]
    write_without(src, ds.files[0], np.asarray(positions, dtype=np.int64), dst)
    out = dst.read_bytes()
    assert out.startswith(BOM) and not out.startswith(BOM + BOM)
    kept = read_file(dst).frame["instruction"].to_list()
    assert kept == [f"question {i}" for i in range(3) if i not in drop]


def test_apply_reads_under_the_caps_the_data_was_opened_with(tmp_path):
    """A file opened with a raised cap is written by apply under that same cap (not refused
    by the default one); the default still stops a file past it."""
    from inspector.core.export.apply import write_without

    data = jsonl_lines(3) + b'{"instruction": "' + b"x" * (2 * MB) + b'", "output": "y"}\n'
    src = tmp_path / "in" / "train.jsonl.gz"
    src.parent.mkdir()
    src.write_bytes(gzip.compress(data))
    raised = ReadLimits(max_line_bytes=3 * MB)
    ds = open_dataset(src, limits=raised)
    assert ds.sources.limits == raised
    write_without(src, ds.files[0], np.asarray([0]), tmp_path / "out.jsonl.gz", ds.sources.limits)
    assert read_file(tmp_path / "out.jsonl.gz", limits=raised).frame.height == 3
    with pytest.raises(InputTooLarge):
        write_without(
            src,
            ds.files[0],
            np.asarray([0]),
            tmp_path / "again.jsonl.gz",
            ReadLimits(max_line_bytes=1 * MB),
        )
