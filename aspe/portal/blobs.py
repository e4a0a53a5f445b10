"""Uploaded documents' contents: a folder, one file per SHA-256 of the content.

The content is stored first (``BlobStore.put``), then joined to the case by the
``attachDocument`` mutation with its hash and the upload's receipt (``receipt_for``: a hash
alone joins nothing), run as the viewer (``ATTACH_DOCUMENT``): the domain decides who may join
a document, and keeps a content's first kind on every case; the store only refuses what no
one may upload (too large,
a type ``ASPE_UPLOAD_MEDIA_TYPES`` does not list, content that is not what its type says),
with ``INVALID_INPUT`` and a French message. The same content uploaded twice is stored once.

A download is allowed when the case, as ``DOCUMENTS_QUERY`` returns it to the viewer, lists
the document (``visible_document``): the API's authorization, nothing else, decides it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from aspe.domain.errors import InvalidInput, NotFound
from aspe.files import PRIVATE_FILE, private_folder
from aspe.graphql.inputs import MEDIA_TYPE_LABELS, check_document
from aspe.graphql.receipts import Upload, issue_receipt
from aspe.settings import Settings

CHUNK = 64 * 1024
SIGNATURES: Mapping[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
"""The first bytes of each accepted type: an upload's content must be what it claims."""
DOCUMENT_NOT_FOUND = "Document introuvable."

ATTACH_DOCUMENT = """
mutation AttachDocument($caseId: ID!, $input: AttachDocumentInput!, $key: String) {
  attachDocument(caseId: $caseId, input: $input, idempotencyKey: $key) {
    id
    documents { id kind filename mediaType size sha256 attachedOn }
  }
}
"""
"""Joins a stored blob to a case; variables: ``caseId``, ``input`` (``kind``, ``filename``,
``mediaType``, ``size``, ``sha256``, ``uploadReceipt``), optionally ``key`` (an idempotency
key)."""

DOCUMENTS_QUERY = """
query CaseDocuments($id: ID!) {
  case(id: $id) { id documents { id kind filename mediaType size sha256 attachedOn } }
}
"""
"""The documents of a case the viewer may see; variables: ``{"id": case_id}``."""


@dataclass(frozen=True)
class StoredBlob:
    """What ``put`` stored: the content's hash, size and type, and whether it was new."""

    sha256: str
    size: int
    media_type: str
    created: bool


class BlobStore:
    """Contents by SHA-256 under ``settings.blob_path`` (``ASPE_BLOB_DIR``), in folders of
    the hash's first two digits. Files are written to a temporary name and renamed, so a
    reader never sees half a file, and two writers of the same content both succeed.
    Folders are ``0700`` and files ``0600`` (``aspe.files``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.blob_path

    def path_of(self, sha256: str) -> Path:
        digest = _digest(sha256)
        return self.root / digest[:2] / digest

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def read(self, sha256: str) -> bytes:
        """The content of ``sha256``; ``NOT_FOUND`` if none is stored."""
        try:
            return self.path_of(sha256).read_bytes()
        except FileNotFoundError:
            raise NotFound(DOCUMENT_NOT_FOUND) from None

    def put(self, content: bytes, media_type: str) -> StoredBlob:
        """Store ``content`` of ``media_type`` (checked against the settings)."""
        return self.put_chunks([content], media_type)

    def put_chunks(self, chunks: Iterable[bytes], media_type: str) -> StoredBlob:
        """Store the content ``chunks`` make, refusing it as soon as it is too large."""
        writer = self._writer(media_type)
        try:
            for chunk in chunks:
                writer.write(chunk)
            return writer.finish()
        finally:
            writer.discard()

    async def put_stream(self, chunks: AsyncIterable[bytes], media_type: str) -> StoredBlob:
        """``put_chunks`` for an upload read asynchronously (a request's body, a form file)."""
        writer = self._writer(media_type)
        try:
            async for chunk in chunks:
                writer.write(chunk)
            return writer.finish()
        finally:
            writer.discard()

    def _writer(self, media_type: str) -> _Writer:
        media = check_document(self.settings, media_type, 1)
        private_folder(self.root)
        return _Writer(self, media)


class _Writer:
    """One upload under way: hashed and size-checked as it is written to a temporary file."""

    def __init__(self, store: BlobStore, media_type: str) -> None:
        self.store, self.media_type = store, media_type
        self.hash = hashlib.sha256()
        self.size = 0
        self.head = b""
        handle, name = tempfile.mkstemp(prefix=".upload-", dir=store.root)
        os.fchmod(handle, PRIVATE_FILE)  # mkstemp's 0600 already; said, not assumed
        self.file = os.fdopen(handle, "wb")
        self.temporary: Path | None = Path(name)

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        check_document(self.store.settings, self.media_type, self.size)
        if len(self.head) < 16:
            self.head += chunk[: 16 - len(self.head)]
        self.hash.update(chunk)
        self.file.write(chunk)

    def finish(self) -> StoredBlob:
        check_document(self.store.settings, self.media_type, self.size)
        if not self.head.startswith(SIGNATURES.get(self.media_type, (b"",))):
            label = MEDIA_TYPE_LABELS.get(self.media_type, self.media_type)
            raise InvalidInput(f"Le contenu du fichier n'est pas celui d'un document {label}.")
        self.file.close()
        digest = self.hash.hexdigest()
        target = self.store.path_of(digest)
        created = not target.is_file()
        if created:
            private_folder(target.parent)
            assert self.temporary is not None
            os.replace(self.temporary, target)
            self.temporary = None
        return StoredBlob(digest, self.size, self.media_type, created)

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)
            self.temporary = None


def _digest(sha256: str) -> str:
    digest = sha256.strip().lower()
    if len(digest) != 64 or any(char not in "0123456789abcdef" for char in digest):
        raise NotFound(DOCUMENT_NOT_FOUND)
    return digest


def receipt_for(settings: Settings, uploader: UUID, blob: StoredBlob) -> str:
    """The upload receipt of ``blob``, just stored for the account ``uploader``: what
    ``attachDocument`` takes as proof that this account holds this content."""
    return issue_receipt(settings, Upload.of(uploader, blob.sha256, blob.media_type, blob.size))


def attach_variables(
    case_id: str,
    kind: str,
    filename: str,
    blob: StoredBlob,
    receipt: str,
    key: str | None = None,
) -> dict[str, Any]:
    """The variables of ``ATTACH_DOCUMENT`` for a blob just stored, with its ``receipt``."""
    return {
        "caseId": case_id,
        "input": {
            "kind": kind,
            "filename": filename,
            "mediaType": blob.media_type,
            "size": blob.size,
            "sha256": blob.sha256,
            "uploadReceipt": receipt,
        },
        "key": key,
    }


def visible_document(case: Mapping[str, Any] | None, document_id: str) -> Mapping[str, Any]:
    """The document ``document_id`` of ``case`` (a ``DOCUMENTS_QUERY`` result's ``case``,
    as the viewer sees it); ``NOT_FOUND`` when the viewer does not see it (absent and hidden
    look the same)."""
    documents: list[Mapping[str, Any]] = (case or {}).get("documents") or []
    for document in documents:
        if document.get("id") == document_id and document.get("sha256"):
            return document
    raise NotFound(DOCUMENT_NOT_FOUND)
