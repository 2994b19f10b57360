"""A Parquet file minus some rows, written by polars (the standalone bundle has no pyarrow).

Kept from the input: the codec and the row-group size (read from the footer's Thrift, below),
every key-value metadata entry (Hugging Face's ``huggingface`` features among them) and the
``ARROW:schema`` entry that tells Arrow readers the original types (``string`` rather than
polars' ``large_string``, ``list`` rather than ``large_list``): polars writes the same
Parquet column types for those, so Arrow reads the copy back as it read the input. For a
type polars stores otherwise (dictionary-encoded, fixed-size binary, date64, time, half
floats, decimal256, interval), the original ``ARROW:schema`` would describe what is not
there, so polars writes its own and those columns come back in polars' types (same values).
"""

from __future__ import annotations

import base64
import io
import struct
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from inspector.core.data import arrow_ipc

if TYPE_CHECKING:
    from polars._typing import ParquetCompression

CODECS: dict[int, ParquetCompression] = {
    0: "uncompressed",
    1: "snappy",
    2: "gzip",
    4: "brotli",
    5: "lz4",
    6: "zstd",
    7: "lz4",
}
# Arrow types whose Parquet columns polars writes as Arrow (pyarrow) writes them: the original
# ARROW:schema stays true of the copy (checked type by type against pyarrow in the tests).
SAME_IN_PARQUET = {
    arrow_ipc.T_NULL, arrow_ipc.T_INT, arrow_ipc.T_BINARY, arrow_ipc.T_UTF8, arrow_ipc.T_BOOL,
    arrow_ipc.T_TIMESTAMP, arrow_ipc.T_DURATION, arrow_ipc.T_LARGE_BINARY,
    arrow_ipc.T_LARGE_UTF8, arrow_ipc.T_LIST, arrow_ipc.T_LARGE_LIST, arrow_ipc.T_FIXED_LIST,
    arrow_ipc.T_STRUCT, arrow_ipc.T_MAP,
}  # fmt: skip


def without_rows(data: bytes, keep: np.ndarray) -> bytes:
    """The Parquet file ``data`` with only the rows where ``keep`` is True."""
    codec, group_rows = layout(data)
    metadata = pl.read_parquet_metadata(data)
    schema = metadata.get("ARROW:schema")
    if schema is not None and not _schema_holds(schema):
        del metadata["ARROW:schema"]  # polars writes its own
    frame = pl.read_parquet(data)
    sink = io.BytesIO()
    frame.filter(pl.Series(keep)).write_parquet(
        sink, compression=codec, row_group_size=group_rows, metadata=metadata or None
    )
    return sink.getvalue()


def _schema_holds(encoded: str) -> bool:
    """Whether an ``ARROW:schema`` entry still describes the columns polars writes."""
    try:
        message = base64.b64decode(encoded)
        if message[:4] == b"\xff\xff\xff\xff":
            (length,) = struct.unpack_from("<i", message, 4)
            meta = message[8 : 8 + length]
        else:  # written before Arrow 0.15
            (length,) = struct.unpack_from("<i", message, 0)
            meta = message[4 : 4 + length]
        fields = arrow_ipc.schema_fields(meta)
    except (ValueError, struct.error):  # base64's binascii.Error is a ValueError
        return False
    return _all_same(fields)


def _all_same(fields: list[arrow_ipc.Field]) -> bool:
    for f in fields:
        if f.dictionary or f.type_id not in SAME_IN_PARQUET and not _same_fixed(f):
            return False
        if not _all_same(list(f.children)):
            return False
    return True


def _same_fixed(f: arrow_ipc.Field) -> bool:
    return (
        (f.type_id == arrow_ipc.T_FLOAT and f.width in (4, 8))
        or (f.type_id == arrow_ipc.T_DECIMAL and f.width == 16)
        or (f.type_id == arrow_ipc.T_DATE and f.width == 4)
    )


# -- the footer: Thrift compact protocol (parquet.thrift's FileMetaData) --------------------


def layout(data: bytes) -> tuple[ParquetCompression, int | None]:
    """(codec of the first column chunk, rows of the first row group) as polars names the
    codec; ("snappy", None) for a file without row groups or columns."""
    if len(data) < 12 or data[-4:] != b"PAR1":
        raise ValueError("not a Parquet file (no PAR1 at its end), or an encrypted footer")
    (length,) = struct.unpack_from("<i", data, len(data) - 8)
    start = len(data) - 8 - length
    if length <= 0 or start < 4:
        raise ValueError("a Parquet footer of impossible length")
    try:
        meta = _Thrift(memoryview(data)[start : len(data) - 8]).struct()
    except (struct.error, RecursionError) as exc:
        raise ValueError(f"a malformed Parquet footer ({exc})") from exc
    groups = _typed(meta.get(4, []), list)
    if not groups:
        return "snappy", None
    first = _typed(groups[0], dict)
    rows = max(_typed(first.get(3, 1), int), 1)
    columns = _typed(first.get(1, []), list)
    if not columns or 3 not in _typed(columns[0], dict):
        return "snappy", rows
    codec = _typed(_typed(columns[0][3], dict).get(4, 1), int)
    return CODECS.get(codec, "snappy"), rows


def _typed(value: Any, kind: type) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise ValueError(f"a Parquet footer field of the wrong type ({type(value).__name__})")
    return value


class _Thrift:
    """A reader of Thrift's compact protocol: structs as {field id: value}."""

    def __init__(self, buf: memoryview) -> None:
        self.buf = buf
        self.pos = 0

    def _check_room(self, items: int) -> None:
        """Every item takes at least a byte: a count past the bytes left is a lie."""
        if items > len(self.buf) - self.pos:
            raise ValueError("a Thrift list longer than the Parquet footer")

    def _byte(self) -> int:
        if self.pos >= len(self.buf):
            raise ValueError("the Parquet footer ends early")
        value = self.buf[self.pos]
        self.pos += 1
        return value

    def _varint(self) -> int:
        shift = result = 0
        while True:
            byte = self._byte()
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise ValueError("a Thrift varint too long")

    def _zigzag(self) -> int:
        n = self._varint()
        return (n >> 1) ^ -(n & 1)

    def _value(self, kind: int) -> Any:
        if kind in (1, 2):  # a boolean in a field header
            return kind == 1
        if kind == 3:
            return struct.unpack("<b", bytes([self._byte()]))[0]
        if kind in (4, 5, 6):
            return self._zigzag()
        if kind == 7:
            self.pos += 8
            return struct.unpack_from("<d", self.buf, self.pos - 8)[0]
        if kind == 8:
            size = self._varint()
            self.pos += size
            if self.pos > len(self.buf):
                raise ValueError("the Parquet footer ends early")
            return bytes(self.buf[self.pos - size : self.pos])
        if kind in (9, 10):
            head = self._byte()
            size = head >> 4 if head >> 4 != 15 else self._varint()
            self._check_room(size)
            elem = head & 0x0F
            if elem in (1, 2):  # booleans in a list: one byte each
                return [self._byte() == 1 for _ in range(size)]
            return [self._value(elem) for _ in range(size)]
        if kind == 11:
            size = self._varint()
            self._check_room(size)
            if not size:
                return {}
            types = self._byte()
            return {self._value(types >> 4): self._value(types & 0x0F) for _ in range(size)}
        if kind == 12:
            return self.struct()
        raise ValueError(f"a Thrift value of unknown type {kind}")

    def struct(self) -> dict[int, Any]:
        out: dict[int, Any] = {}
        field = 0
        while True:
            head = self._byte()
            if head == 0:
                return out
            delta, kind = head >> 4, head & 0x0F
            field = field + delta if delta else self._zigzag()
            out[field] = self._value(kind)
