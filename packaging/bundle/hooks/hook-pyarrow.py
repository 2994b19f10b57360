# Replaces pyinstaller-hooks-contrib's hook, which collects every pyarrow submodule (Flight,
# S3, Gandiva, Substrait...: ~70 MB of libraries) and its C++ headers. Inspector reads and
# writes Arrow and Parquet; the imports PyInstaller follows from polars and Inspector are enough.
hiddenimports = ["pyarrow.lib", "pyarrow._compute", "pyarrow.compute", "pyarrow.parquet"]
