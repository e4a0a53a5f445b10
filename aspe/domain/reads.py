"""What a person read of a case: the kinds of read the access log records.

Not a domain fact (a read changes nothing): a value the access log, the API and the French
wording share, declared here so that ``aspe.french`` can name it without importing above the
domain.
"""

from __future__ import annotations

from enum import Enum


class ReadKind(Enum):
    """One way a person reads a case's personal data."""

    CASE = "the case through the API (``case``)"
    CASE_AS_OF = "the case as it stood at an instant (``caseAsOf``)"
    AUDIT_TRAIL = "who did what when on the case (``auditTrail``)"
    PAGE = "the portal's case page"
    PDF = "a PDF made from the case (FPEL request, CEOP)"
    DOCUMENT = "a document joined to the case, downloaded"
