"""Reading a training set as it is on disk: files and containers, compression and read caps,
formats and field roles, row identity, the dataset frame, rendering a record, the demo.
"""
