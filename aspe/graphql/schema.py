"""The schema, assembled from its features, with its limits and error handling.

``build_schema(settings)`` is the only place the schema is made: the API, the portal, the
tests and ``aspe graphql export-schema`` all use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.tools import merge_types

from aspe.graphql.access_log import AccessLogQueries
from aspe.graphql.accounts import AccountMutations
from aspe.graphql.errors import ClientErrors, with_client_errors
from aspe.graphql.household_data import HouseholdDataQueries
from aspe.graphql.limits import DocumentLimits
from aspe.graphql.login import LoginMutation
from aspe.graphql.mutations import CaseMutations
from aspe.graphql.notifications import NotificationMutations, NotificationQueries
from aspe.graphql.privacy import PrivacyMutations
from aspe.graphql.queries import CaseQueries
from aspe.metrics.operations import OperationMetrics
from aspe.settings import Settings

Query = merge_types(
    "Query", (CaseQueries, NotificationQueries, HouseholdDataQueries, AccessLogQueries)
)
Mutation = merge_types(
    "Mutation",
    (LoginMutation, AccountMutations, CaseMutations, NotificationMutations, PrivacyMutations),
)


class AspeSchema(strawberry.Schema):
    """strawberry's schema, whose every result reaches the client through ``client_error``.

    ``hide_suggestions`` (production): error messages name no field, argument, type or enum
    value of the schema that the query did not name itself. strawberry's own switch
    (``disable_field_suggestions``) covers misspelt fields only, and does not pass
    graphql-core's ``hide_suggestions`` to validation or variable coercion: the messages
    are cleaned where every error already goes."""

    def __init__(self, *args: Any, hide_suggestions: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hide_suggestions = hide_suggestions

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        result = await super().execute(*args, **kwargs)
        return with_client_errors(result, self.hide_suggestions)

    def execute_sync(self, *args: Any, **kwargs: Any) -> Any:
        return with_client_errors(super().execute_sync(*args, **kwargs), self.hide_suggestions)

    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        """Not here: ``ClientErrors`` logs unexpected errors with the id the client sees;
        refusals (codes) are the API working as meant, not server errors."""


class PriorErrorsFirst(ValidationCache):
    """strawberry's validation cache, which leaves alone a document already refused (by
    ``DocumentLimits``): the rules must not walk it."""

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors is None:
            yield from super().on_validate()
        else:
            yield


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema with its limits: the token count bounds parsing, ``DocumentLimits`` (cost,
    unknown fragments) runs before the depth and alias rules, which it keeps from walking
    a document exponentially.

    The rules are made once, here: the validation cache is keyed by the document and the
    rules, so a query text already seen is neither parsed nor validated again."""
    rules = [
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
    ]
    extensions: list[Any] = [
        OperationMetrics,  # first: its time includes parsing and validation
        ClientErrors,
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        ParserCache,
        lambda: DocumentLimits(settings.graphql_max_cost, settings.graphql_max_page_size),
        lambda: AddValidationRules(rules),
        PriorErrorsFirst,
    ]
    if settings.is_production:
        extensions.append(DisableIntrospection)
    return AspeSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        hide_suggestions=settings.is_production,
    )


def export_sdl() -> str:
    """The schema's SDL, as checked in at ``schema.graphql``."""
    return build_schema(Settings()).as_str() + "\n"
