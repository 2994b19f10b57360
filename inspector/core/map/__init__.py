"""The map: embedding models and the vector cache, the kNN graph, the UMAP layout, clusters and
their names, semantic search, and the Qt-free process that runs the map job.
"""
