"""What every window feature may use: the typed host and the services features offer each
other, the job runner, the action registry, and small shared widgets (buttons).
"""
