"""The analysis pipeline past one machine: ``inspector analyze --engine ray``.

``blocks`` reads shards a block at a time and computes each row's own findings (content
hash, exact key, quality signals, MinHash signature and band keys, the text to embed);
``resolve`` turns the compact global arrays into the local engine's duplicate columns;
``engine`` runs it all on Ray Data (``import ray`` only inside its functions), with ``plan``
(files, format, settings), ``rows`` (reading back the rows folder), ``stage_neighbours``,
``stage_minhash`` and ``udfs`` (what Ray's workers run); ``output``
writes ``analysis.parquet``, ``proposed_filter.parquet``, ``manifest.json`` and ``run.json``.
Nothing here imports Qt; nothing here imports ray at module import.
"""
