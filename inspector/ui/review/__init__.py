"""Labelling in the window: the labels hub every view refreshes from, keyboard review sessions,
their queues and resume, notes, and filter files exported and imported from the window.
"""
