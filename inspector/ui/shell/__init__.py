"""The window itself: the application entry, the main window that installs every feature and
hosts them, the command palette, the keyboard-shortcuts editor and the status bar's facts.
"""
