"""Finding the junk: exact, MinHash and semantic duplicates (and the groups every list shows),
quality rules and their compiled kernels, eval leakage, outliers, the project's analysis.
"""
