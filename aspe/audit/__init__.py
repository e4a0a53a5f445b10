"""Tamper-evident history: every stored event is chained to the one before it.

``links``: what one link is (SHA-256 over the previous link and the event's stored fields);
``tables``: the chain table next to the events, written and read per store (SQLite,
PostgreSQL); ``recorders``: the application recorders that write each event's link in the
event's own transaction; ``verify``: the walk that re-computes the chain and finds the first
break; ``checkpoints``: signed (position, head) statements kept outside the system.
"""
