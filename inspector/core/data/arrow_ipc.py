"""Arrow IPC files and streams read as bytes, without pyarrow (the standalone bundle leaves
it out): the messages, the schema's field types, the rows of each record batch.
:func:`count_rows` and :func:`count_file_rows` add up the record batches' lengths;
:mod:`inspector.core.export.arrow_rows` filters rows with what is read here.

The messages are flatbuffers (format/Message.fbs, Schema.fbs, File.fbs of Apache Arrow); the
few tables needed are read with the small reader below.
"""

from __future__ import annotations

import functools
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal, ParamSpec, TypeVar

import numpy as np

FILE_MAGIC = b"ARROW1"
CONTINUATION = 0xFFFFFFFF
EOS = struct.pack("<Ii", CONTINUATION, 0)
ALIGN = 8
P = ParamSpec("P")
R = TypeVar("R")

# Message.header union (Message.fbs)
SCHEMA, DICTIONARY_BATCH, RECORD_BATCH = 1, 2, 3

# Type union (Schema.fbs)
T_NULL, T_INT, T_FLOAT, T_BINARY, T_UTF8, T_BOOL, T_DECIMAL, T_DATE, T_TIME = (
    1, 2, 3, 4, 5, 6, 7, 8, 9,
)  # fmt: skip
T_TIMESTAMP, T_INTERVAL, T_LIST, T_STRUCT, T_UNION, T_FIXED_BINARY, T_FIXED_LIST = (
    10, 11, 12, 13, 14, 15, 16,
)  # fmt: skip
T_MAP, T_DURATION, T_LARGE_BINARY, T_LARGE_UTF8, T_LARGE_LIST = 17, 18, 19, 20, 21
TYPE_NAMES = {
    1: "null", 2: "int", 3: "float", 4: "binary", 5: "string", 6: "bool", 7: "decimal",
    8: "date", 9: "time", 10: "timestamp", 11: "interval", 12: "list", 13: "struct",
    14: "union", 15: "fixed_size_binary", 16: "fixed_size_list", 17: "map", 18: "duration",
    19: "large_binary", 20: "large_string", 21: "large_list", 22: "run_end_encoded",
    23: "binary_view", 24: "string_view", 25: "list_view", 26: "large_list_view",
}  # fmt: skip


class Unsupported(ValueError):
    """An Arrow file this module does not rewrite (a type, compression, big-endian data)."""


class Corrupt(ValueError):
    """The bytes are not a well-formed Arrow IPC file or stream."""


def bad_bytes_are_corrupt(func: Callable[P, R]) -> Callable[P, R]:
    """Reading past the end or nesting without end in hostile bytes raises :class:`Corrupt`."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (struct.error, IndexError, RecursionError, OverflowError) as exc:
            raise Corrupt(f"malformed Arrow data ({exc})") from exc

    return wrapper


# -- flatbuffers: just enough to read the tables --------------------------------------------


class Table:
    """A flatbuffer table at ``pos`` in ``buf``."""

    __slots__ = ("buf", "pos", "vtable", "vsize")

    def __init__(self, buf: bytes | memoryview, pos: int) -> None:
        if not 0 <= pos <= len(buf) - 4:
            raise Corrupt("a flatbuffer table lies outside its message")
        self.buf = buf
        self.pos = pos
        self.vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        if not 0 <= self.vtable <= len(buf) - 4:
            raise Corrupt("a flatbuffer vtable lies outside its message")
        self.vsize = struct.unpack_from("<H", buf, self.vtable)[0]

    @staticmethod
    def root(buf: bytes | memoryview) -> Table:
        if len(buf) < 8:
            raise Corrupt("a message shorter than its header")
        return Table(buf, struct.unpack_from("<I", buf, 0)[0])

    def _field(self, index: int) -> int:
        """Position of field ``index``, or 0 when absent."""
        slot = 4 + 2 * index
        if slot >= self.vsize:
            return 0
        off = struct.unpack_from("<H", self.buf, self.vtable + slot)[0]
        return self.pos + off if off else 0

    def scalar(self, index: int, fmt: str, default: int = 0) -> int:
        at = self._field(index)
        return struct.unpack_from("<" + fmt, self.buf, at)[0] if at else default

    def _target(self, index: int) -> int:
        at = self._field(index)
        return at + struct.unpack_from("<I", self.buf, at)[0] if at else 0

    def table(self, index: int) -> Table | None:
        at = self._target(index)
        return Table(self.buf, at) if at else None

    def vector(self, index: int, size: int) -> tuple[int, int]:
        """(position of the first element, count) of a vector of ``size``-byte elements;
        (0, 0) when absent."""
        at = self._target(index)
        if not at:
            return 0, 0
        count = struct.unpack_from("<I", self.buf, at)[0]
        if at + 4 + count * size > len(self.buf):
            raise Corrupt("a flatbuffer vector longer than its message")
        return at + 4, count

    def tables(self, index: int) -> list[Table]:
        start, count = self.vector(index, 4)
        return [
            Table(self.buf, start + 4 * k + struct.unpack_from("<I", self.buf, start + 4 * k)[0])
            for k in range(count)
        ]

    def string(self, index: int) -> str:
        start, count = self.vector(index, 1)
        return bytes(self.buf[start : start + count]).decode("utf-8", "replace") if start else ""


# -- schema ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    type_id: int
    children: tuple[Field, ...]
    width: int = 0  # bytes per value for fixed-width types (and a dictionary's indices)
    list_size: int = 0  # fixed size lists
    dictionary: bool = False

    @property
    def type_name(self) -> str:
        return TYPE_NAMES.get(self.type_id, f"type {self.type_id}")


def _field(table: Table) -> Field:
    name = table.string(0)
    type_id = table.scalar(2, "B")
    detail = table.table(3)
    children = tuple(_field(child) for child in table.tables(5))
    dictionary = table.table(4)
    if dictionary is not None:  # the column holds indices into dictionary batches
        index_type = dictionary.table(1)
        bits = index_type.scalar(0, "i", 32) if index_type is not None else 32
        return Field(name, type_id, children, width=bits // 8, dictionary=True)
    width = 0
    list_size = 0
    if type_id == T_INT:
        width = (detail.scalar(0, "i") if detail else 0) // 8
    elif type_id == T_FLOAT:
        width = {0: 2, 1: 4, 2: 8}.get(detail.scalar(0, "h") if detail else -1, 0)
    elif type_id == T_DECIMAL:
        width = (detail.scalar(2, "i", 128) if detail else 128) // 8
    elif type_id == T_DATE:
        width = 4 if detail is not None and detail.scalar(0, "h", 1) == 0 else 8
    elif type_id == T_TIME:
        width = (detail.scalar(1, "i", 32) if detail else 32) // 8
    elif type_id in (T_TIMESTAMP, T_DURATION):
        width = 8
    elif type_id == T_INTERVAL:
        width = {0: 4, 1: 8, 2: 16}.get(detail.scalar(0, "h") if detail else -1, 0)
    elif type_id == T_FIXED_BINARY:
        width = detail.scalar(0, "i") if detail else 0
    elif type_id == T_FIXED_LIST:
        list_size = detail.scalar(0, "i") if detail else 0
    return Field(name, type_id, children, width=width, list_size=list_size)


@bad_bytes_are_corrupt
def schema_fields(message: bytes | memoryview) -> list[Field]:
    """The top-level fields of a Schema message's flatbuffer."""
    root = Table.root(message)
    if root.scalar(1, "B") != SCHEMA:
        raise Corrupt("the first message is not a schema")
    schema = root.table(2)
    if schema is None:
        raise Corrupt("a schema message without its schema")
    if schema.scalar(0, "h") != 0:
        raise Unsupported("big-endian Arrow data")
    return [_field(f) for f in schema.tables(1)]


def unsupported_types(fields: list[Field]) -> list[str]:
    """Names of the types in ``fields`` (at any depth) that :func:`without_rows` cannot
    filter, '' for none."""
    out: list[str] = []
    for f in fields:
        if f.dictionary:
            if f.width not in (1, 2, 4, 8):
                out.append(f"dictionary indices of {f.width} bytes")
            continue  # the dictionary's own values are copied, never filtered
        if f.type_id in FIXED_WIDTH:
            if f.width <= 0:
                out.append(f.type_name)
        elif f.type_id == T_FIXED_LIST and f.list_size < 0:
            out.append(f.type_name)
        elif f.type_id not in SUPPORTED:
            out.append(f.type_name)
        out += unsupported_types(list(f.children))
    return out


FIXED_WIDTH = {T_INT, T_FLOAT, T_DECIMAL, T_DATE, T_TIME, T_TIMESTAMP, T_INTERVAL, T_DURATION}
FIXED_WIDTH |= {T_FIXED_BINARY}
VARIABLE = {T_BINARY: np.int32, T_UTF8: np.int32, T_LARGE_BINARY: np.int64}
VARIABLE |= {T_LARGE_UTF8: np.int64}
LISTS = {T_LIST: np.int32, T_MAP: np.int32, T_LARGE_LIST: np.int64}
SUPPORTED = FIXED_WIDTH | set(VARIABLE) | set(LISTS) | {T_NULL, T_BOOL, T_STRUCT, T_FIXED_LIST}


# -- messages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    start: int  # position of the message in the data (its continuation marker)
    end: int  # just past its body
    meta: memoryview  # the flatbuffer
    body: memoryview
    kind: int  # SCHEMA, DICTIONARY_BATCH, RECORD_BATCH, ...

    def batch(self) -> Table:
        header = Table.root(self.meta).table(2)
        if header is None:
            raise Corrupt("a record batch message without its header")
        return header


def message_at(data: memoryview, pos: int) -> Message | None:
    """The message at ``pos``; None at the end-of-stream marker or the end of the data."""
    if pos + 4 > len(data):
        return None
    (first,) = struct.unpack_from("<I", data, pos)
    if first != CONTINUATION:
        raise Unsupported("an Arrow stream written before format 0.15 (no continuation marker)")
    if pos + 8 > len(data):
        raise Corrupt(f"truncated message header at byte {pos}")
    (length,) = struct.unpack_from("<i", data, pos + 4)
    if length == 0:
        return None
    meta_start = pos + 8
    if length < 0 or meta_start + length > len(data):
        raise Corrupt(f"truncated message at byte {pos}")
    meta = data[meta_start : meta_start + length]
    root = Table.root(meta)
    body_length = root.scalar(3, "q")
    body_start = meta_start + length
    if body_length < 0 or body_start + body_length > len(data):
        raise Corrupt(f"truncated message body at byte {pos}")
    end = body_start + body_length
    return Message(pos, end, meta, data[body_start:end], root.scalar(1, "B"))


def stream_messages(data: memoryview, pos: int) -> Iterator[Message]:
    while (message := message_at(data, pos)) is not None:
        yield message
        pos = message.end


@dataclass(frozen=True)
class Footer:
    start: int  # position of the footer flatbuffer
    blocks: list[tuple[int, int, int]]  # (position of its struct in data, offset, meta length)
    batches: list[int]  # indices into ``blocks`` of the record batches (the rest: dictionaries)


def read_footer(data: memoryview) -> Footer:
    if len(data) < 18 or bytes(data[-6:]) != FILE_MAGIC:
        raise Corrupt("an Arrow file without its footer")
    (length,) = struct.unpack_from("<i", data, len(data) - 10)
    start = len(data) - 10 - length
    if length <= 0 or start < 8:
        raise Corrupt("an Arrow file whose footer length is wrong")
    footer = Table.root(data[start : start + length])
    blocks: list[tuple[int, int, int]] = []
    batches: list[int] = []
    for field_index in (2, 3):  # dictionaries, recordBatches: vectors of Block structs
        first, count = footer.vector(field_index, 24)
        for k in range(count):
            at = start + first + 24 * k
            offset, meta_length = struct.unpack_from("<qi", data, at)
            if field_index == 3:
                batches.append(len(blocks))
            blocks.append((at, offset, meta_length))
    return Footer(start, blocks, batches)


@bad_bytes_are_corrupt
def count_rows(data: bytes | memoryview) -> int:
    """Rows of an Arrow IPC file or stream, from its record batch headers."""
    view = memoryview(data)
    if bytes(view[:6]) == FILE_MAGIC:
        footer = read_footer(view)
        total = 0
        for k in footer.batches:
            message = message_at(view, footer.blocks[k][1])
            if message is None or message.kind != RECORD_BATCH:
                raise Corrupt("a footer block that is not a record batch")
            total += message.batch().scalar(0, "q")
        return total
    return sum(m.batch().scalar(0, "q") for m in stream_messages(view, 0) if m.kind == RECORD_BATCH)


@bad_bytes_are_corrupt
def body_codec(data: bytes | memoryview) -> Literal["lz4", "zstd"] | None:
    """The codec ("lz4" or "zstd") when the first record batch's body is compressed, else None."""
    view = memoryview(data)
    if bytes(view[:6]) == FILE_MAGIC:
        footer = read_footer(view)
        found = (message_at(view, footer.blocks[k][1]) for k in footer.batches)
    else:
        found = (m for m in stream_messages(view, 0) if m.kind == RECORD_BATCH)
    first = [m for m in found if m is not None][:1]
    for message in first:
        compression = message.batch().table(3) if message is not None else None
        if compression is not None:
            return "zstd" if compression.scalar(0, "b") == 1 else "lz4"
    return None


@bad_bytes_are_corrupt
def count_file_rows(path: str | os.PathLike[str]) -> int:
    """:func:`count_rows` of a file on disk, reading only the message headers (a split of
    many GB is counted without reading its data)."""
    with open(path, "rb") as fh:
        if fh.read(6) == FILE_MAGIC:  # the footer says where the batches are
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(size - 10, 0))
            tail = fh.read(10)
            length = struct.unpack_from("<i", tail)[0] if len(tail) == 10 else 0
            if tail[4:] != FILE_MAGIC or not 0 < length <= size - 18:
                raise Corrupt("an Arrow file without its footer")
            fh.seek(size - 10 - length)
            footer = read_footer(memoryview(bytes(8) + fh.read(length) + tail))
            total = 0
            for k in footer.batches:
                header = _header_at(fh, footer.blocks[k][1], size)
                if header is None or header[1] != RECORD_BATCH:
                    raise Corrupt("a footer block that is not a record batch")
                total += header[2]
            return total
        total = pos = 0
        size = fh.seek(0, os.SEEK_END)
        while (header := _header_at(fh, pos, size)) is not None:
            pos += header[0]
            total += header[2]
        return total


def _header_at(fh: BinaryIO, pos: int, size: int) -> tuple[int, int, int] | None:
    """(the message's length with its body, its kind, its rows: 0 unless a record batch)
    of the message at ``pos``; None at the end-of-stream marker or the end of the file."""
    if not 0 <= pos <= size:
        raise Corrupt(f"a message at byte {pos} of {size}")
    fh.seek(pos)
    head = fh.read(8)
    if len(head) < 8 or head[4:] == bytes(4):
        return None
    if struct.unpack_from("<I", head)[0] != CONTINUATION:
        raise Unsupported("an Arrow stream written before format 0.15 (no continuation marker)")
    (length,) = struct.unpack_from("<i", head, 4)
    meta = fh.read(length) if length > 0 else b""
    if length <= 0 or len(meta) != length:
        raise Corrupt(f"truncated message at byte {pos}")
    root = Table.root(meta)
    kind = root.scalar(1, "B")
    rows = 0
    if kind == RECORD_BATCH:
        header = root.table(2)
        if header is None:
            raise Corrupt("a record batch message without its header")
        rows = header.scalar(0, "q")
    body_length = root.scalar(3, "q")
    if body_length < 0:
        raise Corrupt(f"a message body of {body_length} bytes at byte {pos}")
    return 8 + length + body_length, kind, rows
