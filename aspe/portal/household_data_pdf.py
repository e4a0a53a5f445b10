"""The household's data as a PDF: ``householdData`` (the API's answer) written in French.

Nothing here decides what the household may see: the export arrives filtered by the API.
Every date, amount and label goes through ``aspe.french``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

from aspe import french
from aspe.domain import values
from aspe.french import labels
from aspe.portal.documents import _Document

Data = Mapping[str, Any]
TITLE = "Vos données personnelles"
ASK_FOR_MORE = (
    "Pour en obtenir communication, ou pour faire corriger une information inexacte, "
    "adressez-vous à votre référent·e ou au délégué à la protection des données du "
    "département."
)


class _Export(_Document):
    """The case documents' layout, headed by the household instead of a case."""

    running_title = "ASPE — droit d'accès du ménage à ses données (RGPD, article 15)"
    subject = "Ménage"


def household_data_pdf(export: Data, zone: tzinfo) -> bytes:
    """The PDF of ``export`` (``householdData``); times read in ``zone``."""
    pdf = _Export(TITLE, str(export.get("householdId", "")))
    pdf.title_block(
        TITLE,
        f"Export du {french.moment(export.get('generatedAt'), zone)} : vos informations, leur "
        "historique et vos dossiers d'accompagnement, tels que vous pouvez les consulter.",
    )
    _details(pdf, "Vos informations actuelles", export.get("household") or {})
    _history(pdf, export.get("detailsHistory") or [], zone)
    for case in export.get("cases") or []:
        _case(pdf, case, zone)
    _withheld(pdf, export.get("withheld") or [])
    return pdf.bytes()


def _details(pdf: _Document, title: str, details: Data) -> None:
    pdf.section(title)
    pdf.field("Nom", details.get("name") or "—")
    pdf.field("Adresse", details.get("street") or "—")
    pdf.field("Code postal et commune", f"{details.get('postcode', '')} {details.get('city', '')}")
    pdf.field("Coordonnées", details.get("contact") or "—")
    pdf.field("Nombre de personnes", french.count(details.get("members") or 0, "personne"))


def _history(pdf: _Document, versions: Sequence[Data], zone: tzinfo) -> None:
    pdf.section("Historique de vos informations")
    for version in versions:
        when = french.moment(version.get("from"), zone)
        corrected = [labels.HOUSEHOLD_DETAILS.get(name, name) for name in version["corrected"]]
        what = f"corrigées ({', '.join(corrected)})" if corrected else "enregistrées"
        pdf.paragraph(f"Informations {what} le {when}", bold=True)
        address = f"{version.get('street')}, {version.get('postcode')} {version.get('city')}"
        for text in (version.get("name"), address, version.get("contact")):
            pdf.bullet(text or "—")
        pdf.bullet(french.count(version.get("members") or 0, "personne"))


def _case(pdf: _Document, case: Data, zone: tzinfo) -> None:
    pdf.section(f"Dossier n° {str(case.get('id'))[:8]}")
    pdf.field("Situation", labels.title_of(values.Status, case.get("status")))
    pdf.field("Ouvert le", french.day(case.get("openedOn")))
    _request(pdf, case.get("request"))
    _decision(pdf, case.get("decision"))
    _diagnostic(pdf, case.get("diagnostic"))
    _ceop(pdf, case.get("ceop"))
    _meetings(pdf, case, zone)
    _debts(pdf, case.get("debts") or [])
    _documents(pdf, case.get("documents") or [])
    _closure(pdf, case.get("closure"))


def _request(pdf: _Document, request: Data | None) -> None:
    if not request:
        return
    pdf.paragraph("Demande au FPEL", bold=True)
    pdf.field("Déposée le", french.day(request.get("submittedOn")))
    pdf.field("Dette locative", french.amount(request.get("rentArrears")))
    pdf.field("Aide demandée", french.amount(request.get("aidRequested")))
    pdf.field("Loyer mensuel", french.amount(request.get("monthlyRent")))
    pdf.field(
        "Mesure proposée", labels.label_of(values.MeasureType, request.get("proposedMeasure"))
    )
    pdf.field("Séance de la commission", french.day(request.get("commissionSessionOn")))


def _decision(pdf: _Document, decision: Data | None) -> None:
    if not decision:
        return
    pdf.paragraph("Décision de la commission", bold=True)
    pdf.field("Décidée le", french.day(decision.get("decidedOn")))
    pdf.field("Mesure", labels.label_of(values.MeasureType, decision.get("measureType")))
    pdf.field("Durée", french.months(decision.get("durationMonths")))
    pdf.field("Aide accordée", french.amount(decision.get("aidGranted")))
    pdf.field("Du", french.day(decision.get("startsOn")))
    pdf.field("Au", french.day(decision.get("endsOn")))


def _diagnostic(pdf: _Document, diagnostic: Data | None) -> None:
    if not diagnostic:
        return
    pdf.paragraph(f"Diagnostic du {french.day(diagnostic.get('recordedOn'))}", bold=True)
    for finding in diagnostic.get("findings") or []:
        theme = labels.title_of(values.Theme, finding.get("theme"))
        pdf.bullet(f"{theme} : {finding.get('difficulty') or '—'}")


def _ceop(pdf: _Document, ceop: Data | None) -> None:
    if not ceop:
        return
    pdf.paragraph(f"CEOP, version {ceop.get('version')}", bold=True)
    pdf.field("Signé le", french.day(ceop.get("signedOn")))
    for objective in ceop.get("objectives") or []:
        progress = labels.label_of(values.ObjectiveProgress, objective.get("progress"))
        pdf.bullet(f"Objectif : {objective.get('label') or '—'} ({progress})")
    for step in ceop.get("steps") or []:
        pdf.bullet(f"Étape : {step.get('label') or '—'} ({french.day(step.get('dueOn'))})")
    for commitment in ceop.get("commitments") or []:
        party = labels.label_of(values.Party, commitment.get("party"))
        pdf.bullet(f"Engagement de {party} : {commitment.get('text') or '—'}")
    for signature in ceop.get("signatures") or []:
        signatory = labels.title_of(values.Signatory, signature.get("signatory"))
        pdf.bullet(f"Signature — {signatory} : {french.day(signature.get('signedOn'))}")


def _bulleted(pdf: _Document, title: str, lines: Sequence[str]) -> None:
    """A bold ``title`` over one bullet a line; nothing at all when there is no line."""
    if not lines:
        return
    pdf.paragraph(title, bold=True)
    for line in lines:
        pdf.bullet(line)


def _meetings(pdf: _Document, case: Data, zone: tzinfo) -> None:
    visits = [
        visit.get("occurredOn") or visit.get("plannedAt") for visit in case.get("visits") or []
    ]
    contacts = [contact.get("occurredOn") for contact in case.get("contacts") or []]
    lines = [f"Visite ou rendez-vous : {french.day(day, zone)}" for day in visits]
    lines += [f"Contact : {french.day(day)}" for day in contacts]
    _bulleted(pdf, "Rencontres et contacts", lines)


def _debts(pdf: _Document, debts: Sequence[Data]) -> None:
    lines = [
        f"{debt.get('creditor') or '—'} : {french.amount(debt.get('amount'))}" for debt in debts
    ]
    _bulleted(pdf, "Dettes", lines)


def _documents(pdf: _Document, documents: Sequence[Data]) -> None:
    _bulleted(pdf, "Documents joints", [_document(document) for document in documents])


def _document(document: Data) -> str:
    kind = labels.title_of(values.DocumentKind, document.get("kind"))
    day = french.day(document.get("attachedOn"))
    return f"{kind} : {document.get('filename') or '—'} ({day})"


def _closure(pdf: _Document, closure: Data | None) -> None:
    if not closure or not (closure.get("stoppedOn") or closure.get("completedOn")):
        return
    pdf.paragraph("Fin de la mesure", bold=True)
    pdf.field("Arrêtée le", french.day(closure.get("stoppedOn")))
    pdf.field("Motif", labels.label_of(values.StopReason, closure.get("stopReason")))
    pdf.field("Terminée le", french.day(closure.get("completedOn")))


def _withheld(pdf: _Document, withheld: Sequence[str]) -> None:
    pdf.section("Ce que cet export ne contient pas")
    pdf.paragraph("Ces informations de vos dossiers ne vous sont pas communiquées en ligne :")
    for name in withheld:
        pdf.bullet(labels.WITHHELD_FROM_EXPORT.get(name, name))
    pdf.paragraph(ASK_FOR_MORE)
