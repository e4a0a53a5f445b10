"""Upload receipts: what ``attachDocument`` takes as proof that the viewer uploaded a content.

A content is named by its SHA-256, and a hash is no secret: a case's documents show it, and
anyone holding a copy of the content can compute it. So a document is joined with the receipt
its upload gave (``issue_receipt``): the account that uploaded and the content's hash, media
type and size, signed with ``ASPE_SECRET_KEY`` (itsdangerous, as the portal's session
cookie). ``check_receipt`` refuses with ``UPLOAD_RECEIPT_REQUIRED`` a receipt that is
missing, altered, older than a login's lifetime (``ASPE_TOKEN_TTL_MINUTES``), of another
account, or of another content.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

from itsdangerous import BadSignature, URLSafeTimedSerializer

from aspe.graphql.errors import UploadReceiptRequired
from aspe.settings import Settings

_SALT = "aspe.upload-receipt"


@dataclass(frozen=True)
class Upload:
    """Who uploaded which content: what a receipt is signed for."""

    account_id: str
    sha256: str
    media_type: str
    size: int

    @classmethod
    def of(cls, account_id: UUID, sha256: str, media_type: str, size: int) -> Upload:
        return cls(str(account_id), sha256.strip().lower(), media_type.strip().lower(), size)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.signing_key(), salt=_SALT)


def issue_receipt(settings: Settings, upload: Upload) -> str:
    """The receipt of ``upload``, to give the account that uploaded."""
    return str(_serializer(settings).dumps(asdict(upload)))


def check_receipt(settings: Settings, receipt: str | None, upload: Upload) -> None:
    """Nothing if ``receipt`` was issued for exactly ``upload``; ``UPLOAD_RECEIPT_REQUIRED``
    otherwise."""
    if not receipt:
        raise UploadReceiptRequired()
    try:
        signed: Any = _serializer(settings).loads(receipt, max_age=settings.token_ttl_minutes * 60)
    except BadSignature:  # altered, or expired (``SignatureExpired`` is a ``BadSignature``)
        raise UploadReceiptRequired() from None
    if signed != asdict(upload):
        raise UploadReceiptRequired()
