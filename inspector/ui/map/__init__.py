"""The map in the window: the map panel and its view (density layer, points, lasso), colours and
legend, the setup bar, the map job's client, and semantic search.
"""
