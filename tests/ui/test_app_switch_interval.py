"""The window's process hands the GIL over often: with Python's default 5 ms switch interval a
background job (the quality model retraining after 25 labels) made each decision key wait for
the GIL at every release (SQLite write, paint): benchmarks/bench_learn.py --only keys at 100k
rows measured key p95 153 ms while training, 44 ms at 0.5 ms (bench_learn_keys.json)."""

from __future__ import annotations

import sys

from inspector.ui.shell.app import UI_SWITCH_INTERVAL_S, make_app


def test_the_window_process_switches_threads_often(qapp) -> None:
    make_app()
    assert UI_SWITCH_INTERVAL_S <= 0.001
    assert sys.getswitchinterval() == UI_SWITCH_INTERVAL_S
