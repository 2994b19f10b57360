"""Subset building: the best N rows, spread over the embedding space (``inspector select``)."""
