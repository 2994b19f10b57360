"""MinHash verification off the head (``inspector.core.scale.sigstore``) without Ray: the
signature file, candidates written by signature block and verified a folder at a time, and
the groups kept as one pair a grouped row, against verifying every pair in one process."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from inspector.core.junk import minhash
from inspector.core.junk.duplicates import components
from inspector.core.scale.sigstore import (
    Forest,
    SigStore,
    binary_matrix,
    pair_folders,
    star_pairs,
    verify_folder,
    write_pairs,
)


def _signatures(n: int, width: int = 16, seed: int = 0) -> np.ndarray:
    """Rows in families: members of a family share most values (near copies)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**32, size=(n // 5 + 1, width), dtype=np.uint64).astype(np.uint32)
    sig = base[np.arange(n) // 5].copy()
    noise = rng.random((n, width)) < 0.15
    sig[noise] = rng.integers(0, 2**32, size=int(noise.sum()), dtype=np.uint64).astype(np.uint32)
    return sig


def test_the_store_gives_back_each_row_written_in_any_order(tmp_path) -> None:
    n, width = 53, 16
    sig = _signatures(n, width)
    store = SigStore(tmp_path / "s.u32", n, width)
    store.create()
    order = np.random.default_rng(1).permutation(n)
    for chunk in np.array_split(order, 5):  # blocks of rows, as workers write them
        store.write(chunk, sig[chunk])
    np.testing.assert_array_equal(store.read(0, n), sig)
    np.testing.assert_array_equal(store.read(40, 60), sig[40:])  # past the end: cut
    with pytest.raises(ValueError):
        store.write(np.array([n]), sig[:1])


def test_a_binary_signature_column_reads_as_a_matrix_also_when_sliced() -> None:
    sig = _signatures(20, 8)
    for kind in (pa.binary(), pa.large_binary()):  # polars writes Binary as large_binary
        column = pa.array([bytes(r) for r in sig.view(np.uint8).reshape(20, -1)], kind)
        np.testing.assert_array_equal(binary_matrix(column, 8), sig)
        np.testing.assert_array_equal(binary_matrix(column.slice(5, 9), 8), sig[5:14])
        chunked = pa.chunked_array([column.slice(0, 7), column.slice(7)])
        np.testing.assert_array_equal(binary_matrix(chunked, 8), sig)
    with pytest.raises(ValueError, match="not 32 bytes"):
        binary_matrix(pa.array([b"abc"], pa.binary()), 8)


def _stored(tmp_path, n: int, width: int, seed: int) -> tuple[SigStore, np.ndarray]:
    """A store of ``n`` random signatures, and the signatures."""
    sig = _signatures(n, width, seed=seed)
    store = SigStore(tmp_path / "s.u32", n, width)
    store.create()
    store.write(np.arange(n), sig)
    return store, sig


def test_blocked_verification_finds_the_groups_one_process_finds(tmp_path) -> None:
    n, width, block = 400, 16, 37  # many blocks: pairs across and inside them
    store, sig = _stored(tmp_path, n, width, seed=3)
    rng = np.random.default_rng(4)
    a = rng.integers(0, n, 3_000)
    b = rng.integers(0, n, 3_000)
    fam = np.arange(0, n - 4, 5)  # every family's pairs are candidates too
    a = np.concatenate([a, fam, fam + 1, fam + 2])
    b = np.concatenate([b, fam + 3, fam + 4, fam])
    keep = a != b
    a, b = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    half = len(a) // 2  # two bucket tasks, overlapping candidates
    write_pairs(tmp_path / "cand", "t0", a[: half + 50], b[: half + 50], block)
    write_pairs(tmp_path / "cand", "t1", a[half:], b[half:], block)

    forest = Forest(n, limit=40)  # reduced many times over
    verified = []
    for name in pair_folders(tmp_path / "cand"):
        frame = verify_folder(tmp_path / "cand" / name, store, block, 0.6)
        verified.append(frame)
        forest.add(frame["a"].to_numpy(), frame["b"].to_numpy())

    code = np.unique(a * n + b)
    ua, ub = code // n, code % n
    sim = minhash.estimated_jaccard(sig, ua, ub)
    want = set(zip(ua[sim >= 0.6].tolist(), ub[sim >= 0.6].tolist(), strict=True))
    got = [
        (x, y) for f in verified for x, y in zip(f["a"].to_list(), f["b"].to_list(), strict=True)
    ]
    assert len(got) == len(set(got)) == len(want) and set(got) == want  # each pair once
    assert len(want) > 100

    fa, fb = forest.pairs()
    assert len(fa) < len(want) and (fa < fb).all()
    wa, wb = np.array([p[0] for p in want]), np.array([p[1] for p in want])
    expected = components(n, wa, wb)
    assert np.array_equal(components(n, fa, fb), expected)  # the same groups


def test_similarities_to_representatives_are_kept_in_their_order(tmp_path) -> None:
    n, width, block = 90, 16, 20
    sig = _signatures(n, width, seed=5)
    store = SigStore(tmp_path / "s.u32", n, width)
    store.create()
    store.write(np.arange(n), sig)
    rows = np.array([89, 3, 41, 42, 0])
    reps = np.array([2, 70, 40, 40, 5])  # a representative may come after its row
    write_pairs(tmp_path / "rep", "head", rows, reps, block, i=np.arange(len(rows)))
    sim = np.full(len(rows), np.nan, np.float32)
    for name in pair_folders(tmp_path / "rep"):
        frame = verify_folder(tmp_path / "rep" / name, store, block, None)
        sim[frame["i"].to_numpy()] = frame["similarity"].to_numpy()
    np.testing.assert_array_equal(sim, minhash.estimated_jaccard(sig, rows, reps))


def test_a_forest_of_no_pairs_is_empty() -> None:
    a, b = Forest(10).pairs()
    assert len(a) == len(b) == 0


def test_a_verify_tasks_star_pairs_join_the_same_rows_in_fewer_pairs() -> None:
    rng = np.random.default_rng(8)
    n = 5_000
    a = rng.integers(0, n, 20_000) * 7 + 3  # positions anywhere in the set
    b = rng.integers(0, n, 20_000) * 7 + 3
    keep = a != b
    a, b = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    sa, sb = star_pairs(a, b)
    assert (sa < sb).all() and len(sa) < len(a)
    assert set(sb.tolist()).isdisjoint(sa.tolist())  # a star: the first row of each group
    top = int(max(a.max(), b.max())) + 1
    assert np.array_equal(components(top, sa, sb), components(top, a, b))


def test_content_hash_numbering_counts_copies_in_file_order() -> None:
    import polars as pl

    from inspector.core.scale.resolve import occurrences

    rng = np.random.default_rng(9)
    hi = rng.integers(0, 40, 3_000).astype(np.uint64)
    lo = rng.integers(0, 3, 3_000).astype(np.uint64)
    frame = pl.DataFrame({"hi": hi, "lo": lo})
    expected = frame.select(pl.int_range(pl.len()).over("hi", "lo") + 1).to_series().to_numpy()
    np.testing.assert_array_equal(occurrences(hi, lo), expected)
    assert occurrences(np.zeros(0, np.uint64), np.zeros(0, np.uint64)).shape == (0,)


def test_a_verify_task_taking_its_candidates_a_slice_at_a_time_finds_the_same_groups(
    tmp_path, monkeypatch
) -> None:
    import inspector.core.scale.sigstore as sigstore

    n, width, block = 300, 16, 50
    store, sig = _stored(tmp_path, n, width, seed=11)
    rng = np.random.default_rng(12)
    a = rng.integers(0, n, 4_000)
    b = rng.integers(0, n, 4_000)
    fam = np.arange(0, n - 4, 5)
    a, b = np.concatenate([a, fam, fam + 1]), np.concatenate([b, fam + 2, fam + 4])
    keep = a != b
    a, b = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    for t in range(6):  # six bucket tasks, repeats across them
        part = slice(t * len(a) // 6, (t + 1) * len(a) // 6 + 30)
        write_pairs(tmp_path / "cand", f"t{t}", a[part], b[part], block)

    whole = {}
    for at_a_time in (10**9, 97):  # everything at once, then slices of 97 pairs
        monkeypatch.setattr(sigstore, "CANDIDATES_AT_A_TIME", at_a_time)
        forest = Forest(n)
        for name in pair_folders(tmp_path / "cand"):
            fa, fb = sigstore.verify_candidates(tmp_path / "cand" / name, store, block, 0.6)
            assert (fa < fb).all()
            forest.add(fa, fb)
        whole[at_a_time] = components(n, *forest.pairs())

    code = np.unique(a * n + b)
    ua, ub = code // n, code % n
    good = minhash.estimated_jaccard(sig, ua, ub) >= 0.6
    expected = components(n, ua[good], ub[good])
    assert np.array_equal(whole[10**9], expected)
    assert np.array_equal(whole[97], expected)
    assert (expected >= 0).sum() > 50
