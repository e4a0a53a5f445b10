"""Last meeting or contact per active measure, and silent days."""

from __future__ import annotations

from aspe.projections.readmodel import ReadModel


class ContactSilence(ReadModel):
    name = "contact_silence"
    tables = ()
