"""SPSLH register: requests, decisions, CEOPs received."""

from __future__ import annotations

from aspe.projections.readmodel import ReadModel


class SpslhRegister(ReadModel):
    name = "spslh_register"
    tables = ()
