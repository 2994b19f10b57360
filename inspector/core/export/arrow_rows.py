"""An Arrow IPC file or stream minus some rows, rewritten as bytes without pyarrow (the
standalone bundle leaves it out; polars reads Arrow but writes its own types: ``large_string``
for ``string``, ``large_list`` for ``list``, which Hugging Face's ``load_from_disk`` refuses
against the folder's ``dataset_info.json``).

The schema message, its metadata and the dictionary batches are copied byte for byte; each
record batch is rewritten with its rows filtered (one batch out for each batch in), and a
file's footer keeps everything but the new positions. Uncompressed bodies with the
fixed-width, boolean, binary/string, list, fixed size list, struct, map, null and
dictionary-encoded types are handled; anything else raises ``arrow_ipc.Unsupported``.
"""

from __future__ import annotations

import struct

import numpy as np

from inspector.core.data import arrow_ipc

# -- filtering one record batch ---------------------------------------------------------------


class _BatchFilter:
    """Walks a record batch's field nodes and buffers in schema order, writing the kept rows."""

    def __init__(self, batch: arrow_ipc.Table, body: memoryview) -> None:
        if batch.table(3) is not None:
            raise arrow_ipc.Unsupported("a compressed Arrow body")
        self.body = body
        self.nodes_at, self.node_count = batch.vector(1, 16)
        self.bufs_at, self.buf_count = batch.vector(2, 16)
        self.meta = batch.buf
        self.node_index = 0
        self.buf_index = 0
        self.out_nodes: list[tuple[int, int]] = []
        self.out_buffers: list[bytes] = []

    def _node(self) -> tuple[int, int]:
        if self.node_index >= self.node_count:
            raise arrow_ipc.Corrupt("a record batch with fewer field nodes than its schema")
        at = self.nodes_at + 16 * self.node_index
        self.node_index += 1
        length, nulls = struct.unpack_from("<qq", self.meta, at)
        return length, nulls

    def _next_length(self) -> int:
        """The length of the next field node (a list's values), before reading it."""
        if self.node_index >= self.node_count:
            raise arrow_ipc.Corrupt("a record batch with fewer field nodes than its schema")
        return int(struct.unpack_from("<q", self.meta, self.nodes_at + 16 * self.node_index)[0])

    def _buffer(self) -> memoryview:
        if self.buf_index >= self.buf_count:
            raise arrow_ipc.Corrupt("a record batch with fewer buffers than its schema")
        offset, length = struct.unpack_from("<qq", self.meta, self.bufs_at + 16 * self.buf_index)
        self.buf_index += 1
        if offset < 0 or length < 0 or offset + length > len(self.body):
            raise arrow_ipc.Corrupt("a buffer outside its record batch body")
        return self.body[offset : offset + length]

    def _bits(self, buf: memoryview, n: int) -> np.ndarray:
        if len(buf) * 8 < n:
            raise arrow_ipc.Corrupt("a bitmap shorter than its array")
        return np.unpackbits(np.frombuffer(buf, np.uint8), count=n, bitorder="little").view(bool)

    def _fixed(self, buf: memoryview, n: int, width: int, keep: np.ndarray) -> bytes:
        if len(buf) < n * width:
            raise arrow_ipc.Corrupt("a values buffer shorter than its array")
        values = np.frombuffer(buf, np.uint8, count=n * width).reshape(n, width)
        return values[keep].tobytes()

    def _offsets(self, buf: memoryview, n: int, dtype: type) -> np.ndarray:
        size = np.dtype(dtype).itemsize
        if n == 0:  # an empty array may come without its one offset
            return np.zeros(1, np.int64)
        if len(buf) < (n + 1) * size:
            raise arrow_ipc.Corrupt("an offsets buffer shorter than its array")
        offsets = np.frombuffer(buf, dtype, count=n + 1).astype(np.int64)
        if n and (offsets[0] < 0 or np.any(np.diff(offsets) < 0)):
            raise arrow_ipc.Corrupt("offsets that go backwards")
        return offsets

    def field(self, f: arrow_ipc.Field, keep: np.ndarray) -> None:
        """Filter one field (and its children) to the rows where ``keep`` is True."""
        length, nulls = self._node()
        if length != len(keep):
            # a child may hold more values than its parent uses, never fewer; the values past
            # those used are dropped (no more of them than the body could describe)
            if length < len(keep) or length - len(keep) > 8 * len(self.body) + 64:
                raise arrow_ipc.Corrupt(f"field {f.name!r}: {length} values, {len(keep)} expected")
            keep = np.concatenate([keep, np.zeros(length - len(keep), bool)])
        kept = int(np.count_nonzero(keep))
        if not f.dictionary and f.type_id == arrow_ipc.T_NULL:  # no buffers at all
            self.out_nodes.append((kept, kept))
            return
        validity = self._buffer()
        if nulls and not len(validity):
            raise arrow_ipc.Corrupt(f"field {f.name!r}: {nulls} nulls and no validity bitmap")
        if nulls:
            valid = self._bits(validity, length)[keep]
            kept_nulls = kept - int(np.count_nonzero(valid))
        else:
            kept_nulls = 0
        self.out_nodes.append((kept, kept_nulls))
        self.out_buffers.append(
            np.packbits(valid, bitorder="little").tobytes() if kept_nulls else b""
        )
        if f.dictionary or f.type_id in arrow_ipc.FIXED_WIDTH:
            self.out_buffers.append(self._fixed(self._buffer(), length, f.width, keep))
        elif f.type_id == arrow_ipc.T_BOOL:
            bits = self._bits(self._buffer(), length)[keep]
            self.out_buffers.append(np.packbits(bits, bitorder="little").tobytes())
        elif f.type_id in arrow_ipc.VARIABLE:
            dtype = arrow_ipc.VARIABLE[f.type_id]
            offsets = self._offsets(self._buffer(), length, dtype)
            data = self._buffer()
            if length and offsets[-1] > len(data):
                raise arrow_ipc.Corrupt(f"field {f.name!r}: offsets past its data")
            lengths = np.diff(offsets)
            new = np.zeros(kept + 1, dtype)
            np.cumsum(lengths[keep], out=new[1:])
            self.out_buffers.append(new.tobytes())
            if length:
                chars = np.frombuffer(data, np.uint8)[offsets[0] : offsets[-1]]
                self.out_buffers.append(chars[np.repeat(keep, lengths)].tobytes())
            else:
                self.out_buffers.append(b"")
        elif f.type_id in arrow_ipc.LISTS:
            dtype = arrow_ipc.LISTS[f.type_id]
            offsets = self._offsets(self._buffer(), length, dtype)
            lengths = np.diff(offsets)
            new = np.zeros(kept + 1, dtype)
            np.cumsum(lengths[keep], out=new[1:])
            self.out_buffers.append(new.tobytes())
            used = int(offsets[-1]) if length else 0
            if used > self._next_length():
                raise arrow_ipc.Corrupt(f"field {f.name!r}: offsets past its values")
            child_keep = np.zeros(used, bool)
            if length:
                child_keep[offsets[0] :] = np.repeat(keep, lengths)
            self._children(f, child_keep)
        elif f.type_id == arrow_ipc.T_FIXED_LIST:
            if length * f.list_size > self._next_length():
                raise arrow_ipc.Corrupt(f"field {f.name!r}: fewer values than its lists hold")
            self._children(f, np.repeat(keep, f.list_size))
        elif f.type_id == arrow_ipc.T_STRUCT:
            self._children(f, keep)
        else:  # arrow_ipc.unsupported_types() was checked before
            raise arrow_ipc.Unsupported(f"field {f.name!r}: {f.type_name}")

    def _children(self, f: arrow_ipc.Field, keep: np.ndarray) -> None:
        for child in f.children:
            self.field(child, keep)

    def message(self, version: int, kept_rows: int) -> bytes:
        """The new record batch message (continuation, length, flatbuffer, body)."""
        if self.node_index != self.node_count or self.buf_index != self.buf_count:
            raise arrow_ipc.Unsupported("a record batch with more buffers than its schema explains")
        body = bytearray()
        spans = []
        for buf in self.out_buffers:
            spans.append((len(body), len(buf)))
            body += buf
            body += b"\0" * (-len(body) % arrow_ipc.ALIGN)
        meta = _record_batch_flatbuffer(version, kept_rows, self.out_nodes, spans, len(body))
        return struct.pack("<Ii", arrow_ipc.CONTINUATION, len(meta)) + meta + bytes(body)


def _record_batch_flatbuffer(
    version: int,
    rows: int,
    nodes: list[tuple[int, int]],
    spans: list[tuple[int, int]],
    body_length: int,
) -> bytes:
    """A arrow_ipc.Message{version, header RecordBatch{length, nodes, buffers}, bodyLength},
    laid out front to back (vtable, then its table, then what the table points to) with
    every scalar aligned to its size; padded to a multiple of 8."""
    out = bytearray()

    def at(n: int) -> int:  # pad so that the next write starts at a multiple of n
        out.extend(b"\0" * (-len(out) % n))
        return len(out)

    out += b"\0" * 4  # root offset, set below
    # arrow_ipc.Message: vtable [vsize, tsize, version, header_type, header, bodyLength]
    vt = at(2)
    out += struct.pack("<6H", 12, 24, 4, 6, 8, 16)
    msg = at(8)
    out += struct.pack("<ihBxI4xq", msg - vt, version, arrow_ipc.RECORD_BATCH, 0, body_length)
    # RecordBatch: vtable [vsize, tsize, length, nodes, buffers]
    rb_vt = at(2)
    out += struct.pack("<5H", 10, 24, 8, 4, 16)
    rb = at(8)
    out += struct.pack("<iIqI", rb - rb_vt, 0, rows, 0)
    out += b"\0" * 4
    struct.pack_into("<I", out, 0, msg)
    struct.pack_into("<I", out, msg + 8, rb - (msg + 8))  # header -> RecordBatch
    for field_at, items in ((rb + 4, nodes), (rb + 16, spans)):
        count_at = at(8) + 4  # the count ends on a multiple of 8, where the structs start
        out += b"\0" * 4
        out += struct.pack("<I", len(items))
        for a, b in items:
            out += struct.pack("<qq", a, b)
        struct.pack_into("<I", out, field_at, count_at - field_at)
    at(8)
    return bytes(out)


# -- whole files and streams -----------------------------------------------------------------


@arrow_ipc.bad_bytes_are_corrupt
def without_rows(data: bytes, keep: np.ndarray) -> bytes:
    """``data`` (an Arrow IPC file or stream) with only the rows where ``keep`` is True."""
    view = memoryview(data)
    if bytes(view[:6]) == arrow_ipc.FILE_MAGIC:
        return _file_without_rows(view, keep)
    out = bytearray()
    pos = 0
    fields: list[arrow_ipc.Field] | None = None
    start = 0
    for message in arrow_ipc.stream_messages(view, 0):
        fields, start, piece = _rewrite(view, message, fields, keep, start)
        out += piece
        pos = message.end
    if fields is None:
        raise arrow_ipc.Corrupt("an Arrow stream without a schema")
    if start != len(keep):
        raise arrow_ipc.Corrupt(f"an Arrow stream of {start} rows, {len(keep)} expected")
    out += bytes(view[pos:]) if pos < len(view) else arrow_ipc.EOS  # the end-of-stream marker
    return bytes(out)


def _rewrite(
    view: memoryview,
    message: arrow_ipc.Message,
    fields: list[arrow_ipc.Field] | None,
    keep: np.ndarray,
    start: int,
) -> tuple[list[arrow_ipc.Field], int, bytes]:
    """(schema fields, next row, the message's new bytes)."""
    raw = bytes(view[message.start : message.end])
    if message.kind == arrow_ipc.SCHEMA:
        if fields is not None:
            raise arrow_ipc.Corrupt("a second schema message")
        fields = arrow_ipc.schema_fields(message.meta)
        bad = arrow_ipc.unsupported_types(fields)
        if bad:
            raise arrow_ipc.Unsupported(", ".join(sorted(set(bad))))
        return fields, start, raw
    if fields is None:
        raise arrow_ipc.Corrupt("a batch before the schema")
    if message.kind == arrow_ipc.DICTIONARY_BATCH:
        return fields, start, raw
    if message.kind != arrow_ipc.RECORD_BATCH:
        raise arrow_ipc.Unsupported(f"an IPC message of kind {message.kind}")
    batch = message.batch()
    rows = batch.scalar(0, "q")
    part = keep[start : start + rows]
    if len(part) != rows:
        raise arrow_ipc.Corrupt(f"the data holds more rows than the {len(keep)} expected")
    batch_filter = _BatchFilter(batch, message.body)
    for f in fields:
        batch_filter.field(f, part)
    version = arrow_ipc.Table.root(message.meta).scalar(0, "h")
    return fields, start + rows, batch_filter.message(version, int(np.count_nonzero(part)))


def _file_without_rows(view: memoryview, keep: np.ndarray) -> bytes:
    footer = arrow_ipc.read_footer(view)
    schema = arrow_ipc.message_at(view, 8)
    if schema is None or schema.kind != arrow_ipc.SCHEMA:
        raise arrow_ipc.Corrupt("an Arrow file that does not start with its schema")
    fields, start, out_schema = _rewrite(view, schema, None, keep, 0)
    out = bytearray(view[:8])
    out += out_schema
    new_offsets: dict[int, tuple[int, int, int]] = {}  # block -> (offset, meta length, body)
    for k in sorted(range(len(footer.blocks)), key=lambda k: footer.blocks[k][1]):
        message = arrow_ipc.message_at(view, footer.blocks[k][1])
        if message is None:
            raise arrow_ipc.Corrupt("a footer block that points at no message")
        fields, start, piece = _rewrite(view, message, fields, keep, start)
        (meta_length,) = struct.unpack_from("<i", piece, 4)
        new_offsets[k] = (len(out), 8 + meta_length, len(piece) - 8 - meta_length)
        out += piece
    if start != len(keep):
        raise arrow_ipc.Corrupt(f"an Arrow file of {start} rows, {len(keep)} expected")
    out += arrow_ipc.EOS
    footer_bytes = bytearray(view[footer.start : len(view) - 10])
    for k, (at, _offset, _meta) in enumerate(footer.blocks):
        offset, meta_length, body_length = new_offsets[k]
        struct.pack_into(
            "<qi4xq", footer_bytes, at - footer.start, offset, meta_length, body_length
        )
    out += footer_bytes
    out += view[len(view) - 10 :]  # footer length (unchanged) and the magic
    return bytes(out)
