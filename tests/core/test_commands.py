"""Label commands: decide, bulk, keeper, tags, undo/redo (also across a reopen), and the
review queues built over them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from inspector.core.labels import labelbook, queues, states
from inspector.core.labels.commands import ChooseKeeper, Decide
from inspector.core.labels.labelbook import LabelBook
from inspector.core.project import open_project


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def records(n: int) -> list[dict]:
    return [
        {"id": f"r{i}", "instruction": f"question {i}", "output": f"answer {i}"} for i in range(n)
    ]


@pytest.fixture
def make_book(tmp_path):
    opened = []

    def make(n: int = 20, data: Path | None = None, project: Path | None = None):
        data = data or write_jsonl(tmp_path / "train.jsonl", records(n))
        pr = open_project(data, project_path=project or tmp_path / "project.sqlite")
        opened.append(pr)
        return LabelBook(pr.store, pr.dataset, annotator="alice"), pr

    yield make
    for pr in opened:
        pr.close()


def test_decide_records_who_when_and_locator(make_book):
    book, _ = make_book()
    changes = book.decide(3, "drop")
    assert changes.action == "do" and changes.seq > 0
    assert changes.ids == ["r3"] and changes.rows.tolist() == [3]
    assert changes.decisions == ["drop"]
    assert changes.counts == {"drop": 1, "none": -1}
    label = book.state(3)
    assert label is not None and label.id == "r3"
    assert label.decision == "drop" and label.state.reason == "manual"
    assert label.state.annotator == "alice"
    assert label.state.timestamp.endswith("Z") and "T" in label.state.timestamp
    assert (label.source_file, label.row_index) == ("train.jsonl", 3)
    assert len(label.content_sha256) == 64
    assert book.state("r3") == label
    assert book.state(4) is None


def test_bulk_is_one_command_and_one_undo_reverts_it(make_book):
    book, _ = make_book(50)
    book.decide(0, "keep")
    changes = book.decide(np.arange(0, 40), "drop", reason="cluster:2")
    assert len(changes) == 40
    assert changes.counts == {"drop": 40, "keep": -1, "none": -39}
    assert book.counts() == {"keep": 0, "drop": 40, "unsure": 0}
    assert len(book.history()) == 2
    undone = book.undo()
    assert undone is not None and undone.action == "undo" and len(undone) == 40
    assert book.counts() == {"keep": 1, "drop": 0, "unsure": 0}
    assert book.state(0).state.reason == "manual"
    assert all(book.state(r) is None for r in range(1, 40))


def test_undo_restores_no_label_and_previous_state_exactly(make_book):
    book, _ = make_book()
    book.decide(1, "unsure", note="check the maths")
    book.toggle_tag(1, "hallucination")
    before = book.state(1)
    book.decide(1, "drop", tags=["unsafe"])
    assert book.state(1).tags == ("unsafe",) and book.state(1).state.note == "check the maths"
    book.undo()
    assert book.state(1) == before  # decision, tags, note, annotator and timestamp
    book.undo()
    book.undo()
    assert book.state(1) is None  # "no label"
    assert not book.can_undo and book.undo() is None


def test_redo_reapplies_exactly_and_new_command_discards_redo_branch(make_book):
    book, _ = make_book()
    book.decide(2, "keep")
    book.decide(2, "drop")
    dropped = book.state(2)
    book.undo()
    assert book.can_redo and book.redo_title == "drop 1 row"
    redone = book.redo()
    assert redone.action == "redo" and redone.decisions == ["drop"]
    assert book.state(2) == dropped  # same timestamp: redo is exact, not a new decision
    book.undo()
    book.decide(5, "unsure")  # a new command after undo
    assert not book.can_redo and book.redo() is None
    assert [h.title for h in book.history()] == ["unsure 1 row", "keep 1 row"]
    assert book.state(2).decision == "keep"


def test_undo_and_redo_work_across_a_reopen(make_book, tmp_path):
    book, pr = make_book()
    book.decide([0, 1, 2], "drop")
    book.choose_keeper([5, 6, 7], 6, group_id="g1")
    book.undo()
    pr.close()

    book2, _ = make_book(data=tmp_path / "train.jsonl")
    assert book2.can_undo and book2.can_redo
    assert book2.redo_title == "keep 1, drop 2 as duplicates"
    book2.redo()
    assert book2.state(6).decision == "keep" and book2.state(5).decision == "drop"
    book2.undo()
    book2.undo()
    assert all(book2.state(r) is None for r in range(10))
    assert book2.counts() == {"keep": 0, "drop": 0, "unsure": 0}


def test_choose_keeper_drops_the_rest_pointing_at_the_keeper(make_book):
    book, _ = make_book()
    changes = book.choose_keeper([10, 11, 12], 11, group_id="dup-7")
    assert sorted(changes.ids) == ["r10", "r11", "r12"]
    assert changes.counts == {"keep": 1, "drop": 2, "none": -3}
    keeper = book.state(11)
    assert keeper.decision == "keep" and keeper.state.group_id == "dup-7"
    for row in (10, 12):
        s = book.state(row).state
        assert (s.decision, s.reason, s.representative_id, s.group_id) == (
            "drop",
            "duplicate",
            "r11",
            "dup-7",
        )
    # without a group id the group is named after the keeper
    book.execute(ChooseKeeper([13, 14], 14))
    assert book.state(13).state.group_id == "r14"
    # `a` in a group keeps them all
    book.keep_all([15, 16], group_id="dup-8")
    assert {book.state(r).state.reason for r in (15, 16)} == {"duplicate"}


def test_tags_notes_and_clear(make_book):
    book, _ = make_book()
    book.toggle_tag([0, 1], "pii")
    assert book.state(0).tags == ("pii",) and book.state(0).decision is None
    book.toggle_tag([0, 1], "pii")  # all have it: removed
    assert book.state(0) is None
    book.toggle_tag([0], "pii")
    book.toggle_tag([0, 1], "pii")  # not all have it: added to all
    assert book.state(1).tags == ("pii",)
    book.set_tags([1], add=["unsafe"], remove=["pii"])
    assert book.state(1).tags == ("unsafe",)
    book.set_note(1, "see row 4")
    assert book.state(1).state.note == "see row 4"
    book.decide(1, "drop")
    book.clear(1)
    assert book.state(1) is None
    book.undo()
    assert book.state(1).decision == "drop" and book.state(1).tags == ("unsafe",)


def test_pressing_the_same_key_again_changes_nothing(make_book):
    book, _ = make_book()
    first = book.decide(4, "keep")
    again = book.decide(4, "keep")
    assert again.empty and again.seq == 0
    assert len(book.history()) == 1
    assert book.state(4).state.timestamp == book.history()[0].timestamp
    assert first.seq == book.history()[0].seq


def test_changes_update_decision_codes(make_book):
    book, _ = make_book()
    codes = book.decision_codes()
    assert (codes == states.NO_DECISION).all()
    for step in (
        lambda: book.decide([1, 2], "drop"),
        lambda: book.decide(3, "keep"),
        book.undo,
        book.redo,
        lambda: book.decide(2, "unsure"),
    ):
        step().update_codes(codes)
        assert np.array_equal(codes, book.decision_codes())
    assert codes[:5].tolist() == [-1, 1, 2, 0, -1]
    progress = states.queue_progress(codes, np.arange(5), position=2)
    assert progress == {
        "position": 3,
        "total": 5,
        "keep": 1,
        "drop": 1,
        "unsure": 1,
        "decided": 3,
        "undecided": 2,
    }


def test_labels_are_keyed_by_id_and_survive_reordering(make_book, tmp_path):
    data = write_jsonl(tmp_path / "train.jsonl", records(10))
    book, pr = make_book(data=data)
    book.decide(7, "drop")
    pr.close()
    write_jsonl(data, list(reversed(records(10))))  # re-sorted on disk
    book2, _ = make_book(data=data)
    assert book2.row_of("r7") == 2
    assert book2.state(2).decision == "drop"
    assert book2.decision_codes()[2] == states.DECISION_CODES["drop"]
    assert book2.rows_of(["r7", "missing"]).tolist() == [2, -1]


def test_bad_input_is_refused(make_book):
    book, _ = make_book(5)
    with pytest.raises(ValueError, match="unknown decision"):
        book.decide(0, "maybe")
    with pytest.raises(IndexError):
        book.decide(99, "drop")
    assert book.history() == []


def test_annotator_from_settings_else_os_user(make_book):
    _, pr = make_book()
    assert states.annotator(pr.store)  # the OS user
    pr.store.set("annotator", "bob")
    book = LabelBook(pr.store, pr.dataset)
    book.execute(Decide([0], "keep"))
    assert book.state(0).state.annotator == "bob"


def test_label_set_and_keymap(make_book):
    _, pr = make_book()
    default = states.default_label_set()
    assert [d.name for d in default.decisions] == ["keep", "drop", "unsure"]
    keys = states.keymap(default)
    assert keys["review.keep"] == ("A",) and keys["review.drop"] == ("X",)
    assert keys["review.unsure"] == ("Space",)
    assert keys["review.undo"] == ("Backspace", "Ctrl+Z")
    assert keys["review.redo"] == ("Ctrl+Shift+Z",)
    assert [keys[f"review.tag.{i}"] for i in range(1, 10)] == [(str(i),) for i in range(1, 10)]
    assert {"review.next", "review.previous", "review.leave", "review.help"} <= set(keys)
    assert states.keymap(default, {"review.drop": ["D"]})["review.drop"] == ("D",)

    assert states.load_label_set(pr.store) == default
    edited = default.with_tags([states.TagStyle("toxic", "1", "#ff0000")])
    states.save_label_set(pr.store, edited)
    assert states.load_label_set(pr.store).tag_names == ["toxic"]
    assert states.tag_for_action(states.load_label_set(pr.store), "review.tag.1") == "toxic"
    assert states.tag_for_action(edited, "review.tag.2") is None

    # a set saved before a session key existed still gets that key from the defaults
    from dataclasses import replace

    older = replace(default, nav_keys={"review.next": ("Right",)})
    assert states.keymap(older)["review.note"] == ("N",)
    assert states.keymap(older)["review.next"] == ("Right",)  # its own keys still win


# -- queues ----------------------------------------------------------------------------------


def test_queue_builders():
    codes = np.array([-1, 0, -1, 1, -1], dtype=np.int8)
    assert queues.build_queue("all", n_rows=5).rows.tolist() == [0, 1, 2, 3, 4]
    assert queues.build_queue("unlabeled", n_rows=5, decision_codes=codes).rows.tolist() == [
        0,
        2,
        4,
    ]
    a = queues.build_queue("random:3", n_rows=100, seed=7).rows
    assert len(a) == 3 and len(set(a.tolist())) == 3
    assert np.array_equal(a, queues.build_queue("random:3", n_rows=100, seed=7).rows)
    assert len(queues.random_rows(5, 50)) == 5
    clusters = np.array([2, 2, -1, 3, 2])
    assert queues.build_queue("cluster:2", n_rows=5, cluster_codes=clusters).rows.tolist() == [
        0,
        1,
        4,
    ]
    mask = np.array([False, True, True, False, False])
    assert queues.build_queue("flag:short", n_rows=5, flags={"short": mask}).rows.tolist() == [1, 2]
    junk = pl.DataFrame({"rule": ["short", "empty", "short"], "row": [4, 0, 1]})
    assert queues.flagged_rows(junk, "short", 5).tolist() == [1, 4]
    wide = pl.DataFrame({"short": mask})
    assert queues.flagged_rows(wide, "short", 5).tolist() == [1, 2]
    with pytest.raises(ValueError, match="no quality rule"):
        queues.flagged_rows({"short": mask}, "long", 5)
    groups = np.array([0, 1, 0, 1, 1, -1, 2])
    q = queues.build_queue("dups", n_rows=7, groups=groups)
    assert [g.tolist() for g in q.groups] == [[1, 3, 4], [0, 2]]  # largest first, singles out
    assert q.group_ids == ["1", "0"] and len(q) == 2
    long = pl.DataFrame({"group_id": ["a", "a", "b", "b"], "row": [5, 2, 1, 0]})
    assert [g.tolist() for g in queues.duplicate_groups(long)[0]] == [[0, 1], [2, 5]]
    assert queues.selection_rows([5, 1, 5, 3, 1]).tolist() == [5, 1, 3]
    assert queues.build_queue("selection", n_rows=7, selection=[3, 3, 2]).rows.tolist() == [3, 2]


def test_queue_names_are_checked():
    assert queues.parse_queue("random:500") == queues.QueueSpec("random", "500")
    assert str(queues.parse_queue("unlabelled")) == "unlabeled"
    for bad in ("random", "random:x", "cluster", "flag:", "everything"):
        with pytest.raises(ValueError):
            queues.parse_queue(bad)
    with pytest.raises(ValueError, match="no clusters yet"):
        queues.build_queue("cluster:1", n_rows=3)


def test_search_queue(make_book):
    _, pr = make_book(12)
    rows = queues.build_queue(
        "search", n_rows=12, search=queues.search_rows(pr.dataset, "question 1")
    ).rows
    assert rows.tolist() == [1, 10, 11]


def test_undo_reaches_back_a_bounded_number_of_rows(make_book, monkeypatch):
    """Old commands keep their place in the history but not their states, once the newer
    ones hold more than the undo reach; the newest is always undoable, however large."""
    book, pr = make_book(40)
    book.undo_rows = 20  # a command keeps its states while newer ones hold under 20 rows
    monkeypatch.setattr(labelbook, "PRUNE_EVERY", 1)
    book.decide(list(range(0, 10)), "drop")
    book.decide(list(range(10, 20)), "keep")  # 10 newer rows: the first is still in reach
    book.decide(list(range(20, 30)), "unsure")  # 20 newer rows: the first is past it
    entries = book.history()
    assert [e.rows for e in entries] == [10, 10, 10]
    assert [e.undoable for e in entries] == [True, True, False]
    assert book.undo() is not None and book.undo() is not None
    assert book.undo() is None  # the first command's states are forgotten
    assert not book.can_undo
    assert book.state(5).decision == "drop" and book.state(15) is None
    assert book.redo() is not None and book.state(15).decision == "keep"

    book.decide(list(range(40)), "keep")  # one command larger than the reach on its own
    assert book.history()[0].undoable
    assert [e.undoable for e in book.history()[1:]] == [False] * (len(book.history()) - 1)
    book.undo()
    assert book.state(0).decision == "drop" and book.state(35) is None
    pr.close()
    # the history and the reach are what a new connection sees
    book2, pr2 = make_book(40, project=pr.store.path)
    assert [e.undoable for e in book2.history()][:1] == [True]
    pr2.close()


def test_undo_reaches_back_a_bounded_number_of_commands(make_book, monkeypatch):
    book, pr = make_book(10)
    book.undo_commands = 3
    monkeypatch.setattr(labelbook, "PRUNE_EVERY", 1)
    for row in range(6):  # one key press each
        book.decide(row, "drop")
    assert [e.undoable for e in book.history()] == [True] * 3 + [False] * 3
    assert sum(book.undo() is not None for _ in range(6)) == 3
    assert book.state(2).decision == "drop" and book.state(3) is None


def test_every_label_write_records_where_what_and_how_many_copies(make_book, tmp_path):
    """Single, bulk, keeper, tags, notes, undo and redo: every row in ``labels`` has its
    locator, its content hash (the record's own) and its copy count (for reconciliation)."""
    rows = [{"instruction": f"q{i % 4}", "output": "same"} for i in range(8)]  # 2 copies each
    book, pr = make_book(data=write_jsonl(tmp_path / "rep.jsonl", rows))
    book.decide(0, "drop")
    book.decide(list(range(1, 6)), "keep")
    book.choose_keeper([2, 6], 6, group_id="g")
    book.set_tags([7], add=["x"])
    book.set_note([3], "n")
    book.undo()
    book.undo()
    book.redo()
    got = pr.store.conn.execute(
        "SELECT id, source_file, row_index, content_sha256, copies FROM labels"
    ).fetchall()
    assert len(got) == 8
    hashes = pr.dataset.content_hashes().to_list()
    for row_id, source, row, sha, copies in got:
        position = book.row_of(row_id)
        assert (source, row) == ("rep.jsonl", position)
        assert sha == hashes[position] == row_id.split("#")[0]
        assert copies == 2


def test_planning_a_tag_key_leaves_the_command_as_it_was(make_book):
    from inspector.core.labels.commands import Context, ToggleTag

    book, _ = make_book()
    command = ToggleTag([0, 1], "pii")
    ctx = Context("alice", "2024-01-01T00:00:00Z", ["r0", "r1"], np.array([0, 1]), str)
    before = command.params()
    command.plan([states.EMPTY, states.EMPTY], ctx)
    assert command.params() == before
    # the book records the resolved direction: added, then removed, with one command object
    first = book.execute(command)
    second = book.execute(command)
    assert first.title.startswith("tag +pii") and second.title.startswith("tag -pii")
    assert book.state(0) is None and command.params() == before
