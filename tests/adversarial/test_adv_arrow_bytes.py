"""Hostile bytes for the pyarrow-free Arrow and Parquet readers (arrow_ipc, arrow_rows,
parquet_rows): every truncation and random byte changes end in their own error (a
ValueError) or a result, never another exception, a hang or a huge allocation."""

from __future__ import annotations

import io
import struct

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inspector.core.data import arrow_ipc
from inspector.core.export import arrow_rows, parquet_rows

TABLE = pa.table(
    {
        "s": ["a", None, "ccc", "dd"],
        "l": [[1], [], None, [2, 3]],
        "st": [{"a": 1}, None, {"a": 3}, {"a": None}],
        "fl": pa.array([[1, 2], None, [3, 4], [5, 6]], pa.list_(pa.int8(), 2)),
        "d": pa.array(["x", "y", "x", None]).dictionary_encode(),
    }
)


def arrow_bytes(stream: bool) -> bytes:
    sink = io.BytesIO()
    with (pa.ipc.new_stream if stream else pa.ipc.new_file)(sink, TABLE.schema) as w:
        w.write_table(TABLE)
        w.write_table(TABLE)
    return sink.getvalue()


def mutations(data: bytes, flips: int, seed: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    out = [data[:n] for n in range(len(data))]
    for _ in range(flips):
        changed = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            changed[int(rng.integers(len(changed)))] = int(rng.integers(256))
        out.append(bytes(changed))
    return out


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "file"])
def test_arrow_truncations_and_flips_raise_their_own_errors(stream, tmp_path):
    data = arrow_bytes(stream)
    keep = np.ones(2 * TABLE.num_rows, bool)
    outcomes = {"error": 0, "result": 0}
    path = tmp_path / "x.arrow"
    for case in mutations(data, 600, seed=7):
        path.write_bytes(case)
        calls = (
            (arrow_ipc.count_rows, case),
            (arrow_ipc.count_file_rows, path),
            (arrow_ipc.body_codec, case),
            (lambda data: arrow_rows.without_rows(data, keep), case),
        )
        for call, arg in calls:
            try:
                call(arg)
            except (arrow_ipc.Corrupt, arrow_ipc.Unsupported):
                outcomes["error"] += 1
            else:
                outcomes["result"] += 1
    assert outcomes["error"] > 1000 and outcomes["result"] > 100


def test_a_vector_count_past_the_message_is_refused_at_once():
    data = bytearray(arrow_bytes(stream=True))
    messages = arrow_ipc.stream_messages(memoryview(bytes(data)), 0)
    batch = next(m for m in messages if m.kind == arrow_ipc.RECORD_BATCH)
    nodes_at, count = batch.batch().vector(1, 16)
    assert count == 8  # s; l and its values; st and its a; fl and its values; d
    meta_start = batch.start + 8
    struct.pack_into("<I", data, meta_start + nodes_at - 4, 2**31)  # the nodes' count
    with pytest.raises(arrow_ipc.Corrupt, match="vector longer"):
        arrow_rows.without_rows(bytes(data), np.ones(8, bool))


def test_list_offsets_past_their_values_are_refused():
    table = pa.table({"l": pa.array([[1, 2], [3]], pa.list_(pa.int64()))})
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    data = bytearray(sink.getvalue())
    # the offsets buffer holds 0, 2, 3: make the last one claim 2**40 values
    at = bytes(data).index(struct.pack("<iii", 0, 2, 3))
    struct.pack_into("<i", data, at + 8, 2**30)
    with pytest.raises(arrow_ipc.Corrupt):
        arrow_rows.without_rows(bytes(data), np.array([True, False]))


def test_parquet_footer_truncations_and_flips():
    sink = io.BytesIO()
    pq.write_table(pa.table({"n": list(range(20)), "s": ["x"] * 20}), sink, row_group_size=5)
    data = sink.getvalue()
    (length,) = struct.unpack_from("<i", data, len(data) - 8)
    footer_start = len(data) - 8 - length
    results = errors = 0
    for case in mutations(data[footer_start:-8], 600, seed=3):
        candidate = data[:footer_start] + case + struct.pack("<i", len(case)) + b"PAR1"
        try:
            parquet_rows.layout(candidate)
            results += 1
        except ValueError:
            errors += 1
    assert errors > 100 and results > 10
    # a map whose entries take no bytes cannot claim more entries than there are bytes
    bomb = bytes([0x1B]) + bytes([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) + bytes([0x11]) + b"\0"
    candidate = b"PAR1" + bomb + struct.pack("<i", len(bomb)) + b"PAR1"
    with pytest.raises(ValueError, match="longer than the Parquet footer"):
        parquet_rows.layout(candidate)
