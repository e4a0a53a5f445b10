"""The access log: who read which case's personal data, when (DESIGN §10).

Kept outside the domain's event streams (a read is no domain fact, and has a retention of
its own), in a table of its own next to the read models: ``store`` holds it, ``recording``
writes an entry for each read without ever failing the read.
"""
