"""The API's own errors, and how every error reaches a client.

Domain errors (``aspe.domain.errors``) and the errors below carry a stable ``code`` that
becomes ``extensions.code`` and a French message. Anything else is a bug: the client sees
``INTERNAL_ERROR`` with an error id, and the server log holds the stack trace under that id.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol, TypeVar
from uuid import uuid4

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.utils.str_converters import to_camel_case

from aspe.application.passwords import HashingBusy
from aspe.domain.errors import DomainError, Refusal

log = logging.getLogger("aspe.graphql")


class ApiError(Refusal):
    """A refusal of the API layer itself (identity, limits), with a stable code."""

    code = "API_ERROR"
    default_message = "La requête a été refusée."


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"
    default_message = "Authentification requise : connectez-vous."


class InvalidCredentials(ApiError):
    code = "INVALID_CREDENTIALS"
    default_message = "Adresse électronique ou mot de passe incorrect."


class InvalidToken(ApiError):
    code = "INVALID_TOKEN"
    default_message = "Votre session a expiré ou n'est pas valide : reconnectez-vous."


class TooManyAttempts(ApiError):
    """Too many failed logins for this e-mail or from this address: wait, then try again."""

    code = "TOO_MANY_ATTEMPTS"
    default_message = (
        "Trop de tentatives de connexion échouées : patientez quelques minutes avant de réessayer."
    )


class ServerBusy(ApiError):
    """The server cannot take this login now (every password-hashing slot is taken)."""

    code = "SERVER_BUSY"
    default_message = HashingBusy.message


class TooExpensive(ApiError):
    code = "QUERY_TOO_EXPENSIVE"
    default_message = "La requête demande trop de données : réduisez la taille des pages."


class UploadReceiptRequired(ApiError):
    """A document is joined with the receipt its upload gave this account for this content:
    a SHA-256 alone is no proof of holding the content."""

    code = "UPLOAD_RECEIPT_REQUIRED"
    default_message = (
        "Ce document doit d'abord être téléversé par vous : joignez-le avec le reçu de son "
        "téléversement."
    )


class BadRequest(ApiError):
    """A request to ``/graphql`` that is no GraphQL operation: a body that is not a JSON
    object (``42``, ``null``, ``[]``), nested too deep, or that has no query (HTTP 400)."""

    code = "BAD_REQUEST"
    default_message = (
        "La requête n'est pas une opération GraphQL : un objet JSON est attendu, avec sa "
        "requête (query) et, s'il y a lieu, ses variables."
    )


INTERNAL_ERROR = "INTERNAL_ERROR"
INTERNAL_MESSAGE = "Une erreur interne est survenue. Communiquez l'identifiant au support."
INVALID_QUERY = "GRAPHQL_VALIDATION_FAILED"

API_ERRORS: tuple[type[ApiError], ...] = (
    Unauthenticated,
    InvalidCredentials,
    InvalidToken,
    TooManyAttempts,
    ServerBusy,
    TooExpensive,
    UploadReceiptRequired,
    BadRequest,
)
"""Every code of this layer, for the documentation test."""

SUGGESTION = re.compile(r" Did you mean [^?]*\?")
"""graphql-core's hint naming the schema's fields, arguments, types or enum values near a
misspelt one (`` Did you mean 'me'?``): names only (no ``?``), closing its sentence."""


def without_suggestions(message: str) -> str:
    """``message`` without graphql-core's "Did you mean …?" hints."""
    return SUGGESTION.sub("", message)


def client_error(error: GraphQLError, hide_suggestions: bool = False) -> GraphQLError:
    """The error as the client may see it: a stable code, a French message, nothing more.

    ``hide_suggestions`` (production): without the names of the schema that graphql-core
    suggests for a misspelt one, which would map the schema with introspection off."""
    original = error.original_error
    if isinstance(original, HashingBusy):  # the application layer's overload, as the API's
        original = ServerBusy()
    if original is None:
        message = without_suggestions(error.message) if hide_suggestions else error.message
        return _rewritten(error, message, {"code": INVALID_QUERY, **(error.extensions or {})})
    if isinstance(original, DomainError) and original.field is not None:
        return _with_code(error, original.message, original.code, field=api_field(original.field))
    if isinstance(original, Refusal):
        return _with_code(error, original.message, original.code)
    if isinstance(original, GraphQLError):
        return client_error(original, hide_suggestions)
    error_id = uuid4().hex
    log.error("unexpected error %s", error_id, exc_info=original)
    return _with_code(error, INTERNAL_MESSAGE, INTERNAL_ERROR, errorId=error_id)


def api_field(parameter: str) -> str:
    """The domain's parameter path as the API's input names it: ``aid_request.monthly_rent``
    → ``aidRequest.monthlyRent`` (strawberry's own camel-casing of the same names)."""
    return ".".join(to_camel_case(part) for part in parameter.split("."))


def _with_code(error: GraphQLError, message: str, code: str, **extra: str) -> GraphQLError:
    return _rewritten(error, message, {"code": code, **extra})


def _rewritten(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(message, nodes=error.nodes, path=error.path, extensions=extensions)


class Result(Protocol):
    errors: list[GraphQLError] | None


AnyResult = TypeVar("AnyResult", bound=Result)


def with_client_errors(result: AnyResult, hide_suggestions: bool = False) -> AnyResult:
    """``result`` with every error as ``client_error`` makes it (again: it is idempotent).

    ``ClientErrors`` sees the errors of an operation; an exception raised around it (by a
    validation rule, say) reaches strawberry's result without it: the schema calls this on
    every result it returns."""
    if result.errors:
        result.errors = [client_error(error, hide_suggestions) for error in result.errors]
    return result


class ClientErrors(SchemaExtension):
    """Rewrites every error of a result with ``client_error`` (codes, masking, logging),
    hiding suggestions when the schema does (its ``hide_suggestions``)."""

    def on_operation(self):  # type: ignore[no-untyped-def]
        yield
        result = self.execution_context.result
        if result is not None:
            hide = getattr(self.execution_context.schema, "hide_suggestions", False)
            with_client_errors(result, hide)
