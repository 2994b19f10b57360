"""Benchmark the reader (the sample pane) and print JSON.

    python3 benchmarks/bench_reader.py [--repeats 15]

For a ~20 KB Markdown answer (headings, lists, a table, code, emphasis and links) and the
60 KB a block is cut to, rendered and raw, with and without a filter match marked: the time to
build the HTML (:func:`sample_html`), and the time for the sample pane to take it and lay it out
(``setHtml`` plus the document's layout at a 700 px wide pane); median and max over
``--repeats``. Also Qt's own Markdown importer on the same text (``QTextDocument.setMarkdown`` and its layout)
for comparison. Offscreen Qt platform. Results also go to benchmarks/results/bench_reader.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks/results/bench_reader.json"

SECTION = """## Step {i}: configure the service

Set **`timeout`** to a value that suits *your* workload, then restart. See
[the manual](https://example.org/manual#{i}) for details.

- check the logs for `ERROR` lines
- confirm the port is free
  - use `ss -ltnp` on Linux
1. stop the service
2. edit the file

| option  | default | meaning              |
|---------|--------:|----------------------|
| timeout | 30      | seconds to wait      |
| retries | 3       | attempts before fail |

```python
def configure(timeout: int = 30) -> None:
    print("configured", timeout)
```

name       size    modified
config     1.2K    today
data.db    44M     yesterday

"""


def answer(target: int) -> str:
    parts = []
    i = 0
    while sum(len(p) for p in parts) < target:
        parts.append(SECTION.format(i=i))
        i += 1
    return "".join(parts)[:target]


def timed(fn, repeats: int) -> dict[str, float]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return {"median_ms": round(statistics.median(times), 2), "max_ms": round(max(times), 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    from PySide6.QtGui import QTextDocument
    from PySide6.QtWidgets import QApplication

    from inspector.core.data.render import Block, Rendered
    from inspector.ui.common.sample_view import SampleView, TextMatch, sample_html

    app = QApplication.instance() or QApplication([])
    view = SampleView()
    view.resize(700, 900)
    view.show()
    app.processEvents()
    results: dict[str, object] = {}
    for size in (20_000, 60_000):
        text = answer(size)
        rendered = Rendered(
            "alpaca",
            blocks=[Block("instruction", "Explain it", "user"), Block("output", text, "assistant")],
        )
        for markdown in (True, False):
            for match in (None, TextMatch("timeout")):
                key = f"{size // 1000}KB_{'rendered' if markdown else 'raw'}" + (
                    "_match" if match else ""
                )
                html = sample_html(rendered, markdown=markdown, match=match)

                def show(html: str = html) -> None:
                    view._set(html)
                    view.document().documentLayout().documentSize()  # laid out

                results[key] = {
                    "chars": len(text),
                    "html": timed(
                        lambda m=markdown, q=match, r=rendered: sample_html(r, markdown=m, match=q),
                        args.repeats,
                    ),
                    "show_and_layout": timed(show, args.repeats),
                }
        doc = QTextDocument()
        doc.setTextWidth(700)

        def qt_markdown(t: str = text, d: QTextDocument = doc) -> None:
            d.setMarkdown(t)
            d.documentLayout().documentSize()

        results[f"{size // 1000}KB_qt_setMarkdown_and_layout"] = timed(qt_markdown, args.repeats)
    results["meta"] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "repeats": args.repeats,
        "platform": os.environ.get("QT_QPA_PLATFORM"),
    }
    out = json.dumps(results, indent=2)
    print(out)
    OUT.write_text(out + "\n")
    view.close()


if __name__ == "__main__":
    main()
