"""Qt-free core: data, ids, formats, store, commands, embed, map, dedup, quality, export."""
