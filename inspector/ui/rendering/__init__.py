"""Rendering that is not the window: map.png for the command line and its colours (Qt
offscreen is fine here, but nothing of the window is imported).
"""
