"""A curator's decisions: label states, commands with durable undo (the label book), labels
reconciled with changed data, review queues and saved review sessions.
"""
