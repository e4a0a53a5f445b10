"""Read models built from the event log, one per audience (DESIGN §5).

Filled by the projections issue.
"""
