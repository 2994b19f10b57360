"""The dataset in the window: opening (dialogs, splits, ids after the table), the lazy sample
table and its model, the sample pane that renders each record, and the filter bar.
"""
