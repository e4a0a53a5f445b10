"""The contents of documents, by SHA-256: each keeps the kind it was first attached under.

Who may read a document follows its kind (a ``MEDICAL`` one is an item of theme HEALTH). The
same content may be joined to several cases, so a kind fixed per case would let anyone
holding a copy of a medical certificate join it again as ``OTHER``, for readers the first
kind kept out. The first attachment fixes the content's kind for every case.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from aspe.domain.audited import AuditedAggregate
from aspe.domain.errors import DocumentKindFixed
from aspe.domain.values import DocumentKind

_CONTENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://aspe.example/document-content")


class DocumentContent(AuditedAggregate):
    """A content joined to at least one case, and the kind it was first joined under.

    Its id derives from the content's SHA-256, so two first attachments of one content under
    different kinds conflict in the store itself, even at the same instant. It holds no hash
    and no name: only the kind.
    """

    @staticmethod
    def id_for(sha256: str) -> UUID:
        return uuid5(_CONTENT_NAMESPACE, sha256.strip().lower())

    @classmethod
    def first_attached(cls, sha256: str, kind: DocumentKind) -> DocumentContent:
        return cls(cls.id_for(sha256), kind)

    class KindFixed(AuditedAggregate.Created):
        kind: DocumentKind

    @event(KindFixed)
    def __init__(  # the library passes the aggregate id as ``id``
        self,
        id: UUID,
        kind: DocumentKind,
    ) -> None:
        self.kind = kind

    def check_kind(self, kind: DocumentKind) -> None:
        """Refuse to join this content under any kind but the one it has."""
        if kind is not self.kind:
            raise DocumentKindFixed()
