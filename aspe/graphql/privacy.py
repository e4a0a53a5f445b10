"""Erasing a household's personal data (GDPR art. 17), and holding it past its retention,
for the roles the domain allows.

The mutation asks for a confirmation (the household's id, typed again): erasure cannot be
undone. Who may erase, and when, is the domain's decision (``Household.erase``: an
administrator, once no case of the household is open).
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from aspe.application import AspeApplication
from aspe.application import AspeApplication as App
from aspe.authorization import C
from aspe.bootstrap import erasure_places
from aspe.domain.errors import InvalidInput
from aspe.domain.values import ErasureGround
from aspe.graphql.command_mutations import (
    Argument,
    IdempotencyKey,
    Target,
    entry_mutation,
    once,
)
from aspe.graphql.inputs import uuid_of
from aspe.graphql.permissions import classified
from aspe.graphql.reading import run_command
from aspe.privacy.erasure import ErasureReport, erase_household

ErasureGroundEnum = strawberry.enum(ErasureGround, name="ErasureGround")
CONFIRMATION_REFUSED = (
    "Pour confirmer l'effacement, recopiez l'identifiant du ménage : il est définitif."
)


@strawberry.type(description="What an erasure did.")
class Erasure:
    household_id: strawberry.ID = classified(C.ENTRY)
    case_ids: list[strawberry.ID] = classified(
        C.ENTRY, description="The household's cases: they stay, their personal values erased."
    )
    recorded: bool = classified(
        C.ENTRY,
        description="False when the erasure had been recorded already: this call finished "
        "purging the copies an interrupted one left.",
    )

    @classmethod
    def of(cls, report: ErasureReport) -> Erasure:
        return cls(
            household_id=strawberry.ID(str(report.household_id)),
            case_ids=[strawberry.ID(str(case_id)) for case_id in report.case_ids],
            recorded=report.recorded,
        )


HOUSEHOLD_ID = "de ménage"


@strawberry.type
class PrivacyMutations:
    set_legal_hold = entry_mutation(
        App.set_legal_hold,
        "Keep a household's data past its retention period (a dispute, a court's request): "
        "no erasure until it is lifted. `reason`: a reference, no personal data. "
        "Administrator.",
        household_id=Target(HOUSEHOLD_ID),
        reason=Argument(str),
    )
    lift_legal_hold = entry_mutation(
        App.lift_legal_hold,
        "Lift a household's legal hold: its retention runs again. Administrator.",
        household_id=Target(HOUSEHOLD_ID),
    )

    @classified(
        C.ENTRY,
        description="Erase a household's personal data for good: its key is destroyed, its "
        "values in every read model, notification, e-mail and document erased; its cases "
        "stay, with every decision's who, when and what, and the statistics are unchanged. "
        "`confirmation`: the household's id, typed again. Administrator; no case of the "
        "household may be open.",
    )
    async def erase_household(
        self,
        info: Info,
        household_id: strawberry.ID,
        ground: ErasureGroundEnum,  # type: ignore[valid-type]
        reason: str,
        confirmation: str,
        idempotency_key: IdempotencyKey = None,
    ) -> Erasure:
        household = uuid_of(household_id, HOUSEHOLD_ID, field="householdId")
        if confirmation.strip() != str(household):
            raise InvalidInput(CONFIRMATION_REFUSED, field="confirmation")
        settings = info.context.settings

        def erase(app: AspeApplication) -> ErasureReport:
            with erasure_places(settings, app) as places:
                return erase_household(
                    app, places, household, ground, reason, **once(idempotency_key)
                )

        return Erasure.of(await run_command(info, erase))
