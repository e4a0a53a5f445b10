"""Every value a person may read has its French text, and only one."""

from __future__ import annotations

from enum import Enum

import pytest

from aspe.domain.values import Status, Theme
from aspe.french import labels
from aspe.workers.delivery import STATUSES
from aspe.workers.messages import Channel
from tests.french.declared import domain_enums


@pytest.mark.parametrize("enum", domain_enums(), ids=lambda enum: enum.__name__)
def test_every_value_of_every_enumeration_has_its_french_label(enum: type[Enum]) -> None:
    missing = [member.name for member in enum if not labels.LABELS.get(enum, {}).get(member)]
    assert missing == [], f"{enum.__name__} values without French text: {missing}"


def test_every_delivery_status_and_channel_has_its_french_label() -> None:
    # The deliveries are the workers': aspe.french knows them by the names they store.
    assert [status for status in STATUSES if status not in labels.DELIVERY_STATUSES] == []
    assert [c.value for c in Channel if c.value not in labels.DELIVERY_CHANNELS] == []


def test_no_two_values_of_one_enumeration_read_the_same() -> None:
    tables = [*labels.LABELS.values(), labels.DELIVERY_STATUSES, labels.DELIVERY_CHANNELS]
    for table in tables:
        assert len(set(table.values())) == len(table), table


def test_a_label_reads_in_a_sentence_and_a_title_starts_with_a_capital() -> None:
    assert labels.label(Status.ACTIVE) == "mesure en cours"
    assert labels.title(Status.ACTIVE) == "Mesure en cours"
    assert labels.title_of(Theme, "HEALTH") == "Santé"


def test_a_name_the_platform_does_not_know_is_shown_as_it_is_and_none_as_a_dash() -> None:
    assert labels.label_of(Status, "ARCHIVED") == "ARCHIVED"
    assert labels.label_of(Status, None) == "—"
