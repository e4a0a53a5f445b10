"""The landlord's read model, scanned whole over the demo département: no health item, no
note, no reason, details, summary, subject or outcome, no contact — none of the free text
the demo's events hold — ever reaches a landlord's row (DESIGN §6)."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from enum import Enum
from typing import Any

from aspe.projections.landlord_tenancies import tenancy

FREE_TEXT = (
    "note",
    "outcome",
    "details",
    "summary",
    "subject",
    "reason",
    "health_findings",
    "health_objectives",
    "contact",
)
"""Attributes whose text must never reach a landlord (the brief's list; each is in the demo)."""
ALSO_HIDDEN = ("findings", "objectives", "commitments", "steps", "participants", "creditor")
"""Also hidden from a landlord: the diagnostic, the CEOP's content, who else was at a
concertation, the creditors of other debts."""


def texts_in(value: Any) -> list[str]:
    """Every non-blank string inside an attribute's value (enums are categories, not text)."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, Enum):
        return []
    if isinstance(value, list | tuple):
        return [text for item in value for text in texts_in(item)]
    if dataclasses.is_dataclass(value):
        fields = dataclasses.fields(value)
        return [text for field in fields for text in texts_in(getattr(value, field.name))]
    return []


def free_texts(app) -> dict[str, set[str]]:
    """Attribute name → the texts the store's events hold under it."""
    found: dict[str, set[str]] = defaultdict(set)
    for notification in app.recorder.select_notifications(start=0, limit=10**6):
        event = app.mapper.to_domain_event(notification)
        for name in (*FREE_TEXT, *ALSO_HIDDEN):
            found[name].update(texts_in(getattr(event, name, None)))
    return found


def shown(values: Any) -> str:
    """A row or answer as the landlord could read it: its JSON and each value as text."""
    items = values.values() if isinstance(values, dict) else values
    return json.dumps(values, ensure_ascii=False, default=str) + "\n".join(map(str, items))


def test_no_landlord_row_holds_health_items_notes_or_other_free_text(demo_app, demo_projector):
    hidden = free_texts(demo_app)
    view = demo_projector.model("landlord_tenancies").view
    dump = view.dump()
    rows = [row for table in dump.values() for row in table]
    cases = {row["case_id"]: row["landlord_id"] for row in dump["tenancies"] if row["granted"]}
    answers = [tenancy(view, landlord_id, case_id) for case_id, landlord_id in cases.items()]

    assert all(hidden[name] for name in FREE_TEXT), "the demo lacks a kind of free text"
    assert any("HEALTH" in text for text in hidden["health_objectives"])
    assert rows, "the landlord view is empty: the scan would prove nothing"
    assert None not in answers
    assert any(a["concertations"] and a["repayment_plans"] for a in answers), "no consent"
    texts = sorted({text for values in hidden.values() for text in values})
    for values in [*rows, *answers]:
        seen = shown(values)
        assert "HEALTH" not in seen
        leaked = [text for text in texts if text in seen]
        assert not leaked, f"{leaked} in {values}"
