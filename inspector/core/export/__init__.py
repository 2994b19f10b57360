"""Filter files out and in: building and writing the filter and its manifest, reading and
importing one back, applying it to the data, and the output-path checks they all share.
"""
