"""Shared test setup: every test session gets its own Inspector home (data, cache, logs)."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# One home per test session, so tests never touch the user's real projects or caches.
# The default embedding model is distilled once per session into this home (~40 s).
if "INSPECTOR_HOME" not in os.environ or os.environ.get("INSPECTOR_TEST_KEEP_HOME") != "1":
    os.environ["INSPECTOR_HOME"] = tempfile.mkdtemp(prefix="inspector-test-home-")
