"""The Issues dock: every finder with its count, duplicate groups side by side, the rules and
threshold dialogs.
"""
