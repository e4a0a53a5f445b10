"""The case's printable documents: the FPEL request form (the cahier's « imprimé type ») and
the CEOP, as PDF.

Each function takes the ``case`` a GraphQL query returns (``FPEL_QUERY``, ``CEOP_QUERY``,
run as the viewer), so a PDF shows exactly what that viewer may see: a section the API
answered ``null`` for is left out (never printed as missing or pending: a document says only
true things to its reader), and HEALTH items the viewer may not see never reach the function
at all. Nothing here reads a read model or decides visibility.

French text (accents, €, œ, ’) needs a Unicode font: DejaVu Sans, shipped in ``fonts/``
with its licence (the Bitstream Vera licence; DejaVu's changes are public domain).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fpdf import FPDF

from aspe import french
from aspe.domain.catalogue import ACTIONS
from aspe.domain.values import MeasureType, ObjectiveProgress, Party, Signatory, Theme
from aspe.french import labels

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
EXTRACT = (
    "Ce document contient ce que votre organisation peut connaître du dossier ; le reste "
    "n'y figure pas."
)
DOTTED = "…………………………………"

FPEL_QUERY = """
query FpelRequest($id: ID!) {
  case(id: $id) {
    id
    status
    openedOn
    parties { associationName referentName landlordName }
    household { name street postcode city contact members }
    diagnostic {
      recordedOn
      findings { theme difficulty }
      objectives { theme label action }
    }
    request {
      submittedOn
      rentArrears
      aidRequested
      monthlyRent
      proposedMeasure
      proposedDurationMonths
      registeredOn
      commissionSessionOn
    }
    decision { decidedOn measureType durationMonths probationMonths aidGranted }
  }
}
"""
"""What the FPEL request form shows; variables: ``{"id": case_id}``."""

CEOP_QUERY = """
query Ceop($id: ID!) {
  case(id: $id) {
    id
    status
    parties { associationName referentName landlordName }
    household { name street postcode city }
    decision { decidedOn measureType durationMonths startsOn endsOn }
    ceop {
      version
      draftedOn
      signedOn
      transmittedOn
      objectives { theme label action progress }
      steps { label dueOn theme }
      commitments { party text theme }
      signatures { signatory signedOn }
    }
  }
}
"""
"""What the CEOP shows; variables: ``{"id": case_id}``."""


# ------------------------------------------------------------------ formatting
def _theme(name: str) -> str:
    return labels.title_of(Theme, name) if name else "Autres"


def _measure(name: str) -> str:
    return f"mesure {labels.label_of(MeasureType, name)}"


def _present(mapping: Mapping[str, Any] | None, *keys: str) -> bool:
    """Whether any of ``keys`` has a value: the API answers ``null`` for what the reader may
    not see (or what is not recorded yet), and a document prints neither."""
    return mapping is not None and any(mapping.get(key) is not None for key in keys)


# ---------------------------------------------------------------------- layout
class _Document(FPDF):
    """A4 pages in DejaVu Sans, with the title on every page and the page number below."""

    running_title = "ASPE — Fonds de Prévention des Expulsions Locatives (FPEL)"
    """The line atop every page, above the subject: ``{subject} {case_id}``."""
    subject = "Dossier"

    def __init__(self, title: str, case_id: str) -> None:
        super().__init__(format="A4")
        self.document_title, self.case_id = title, case_id
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_lang("fr-FR")
        self.set_author("ASPE — Accompagnement Social de Prévention des Expulsions")
        self.set_creator("ASPE")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)
        self.add_page()

    def header(self) -> None:
        self.set_font(FONT, "B", 9)
        self.cell(0, 5, self.running_title)
        self.ln(5)
        self.set_font(FONT, "", 8)
        self.cell(0, 4, f"{self.subject} {self.case_id}")
        self.ln(8)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"{self.document_title} — page {self.page_no()}/{{nb}}", align="C")

    def title_block(self, title: str, subtitle: str) -> None:
        self.set_font(FONT, "B", 15)
        self.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 10)
        self.multi_cell(0, 5, subtitle, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(3)

    def section(self, title: str) -> None:
        self.ln(2)
        self.set_font(FONT, "B", 12)
        self.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(60, 60, 60)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2)

    def field(self, label: str, value: str | None) -> None:
        """A label and its value side by side, kept on one page; nothing when there is no
        value (the reader may not see it, or it is not recorded). The colon stays with the
        label's last word (a no-break space, as French typography wants); the next field
        starts below the taller of the two."""
        if not value:
            return
        text = f"{label}\u00a0:"
        value_width = self.epw - 60
        height = 6 * max(self._lines(text, 60, bold=True), self._lines(value, value_width))
        if self.will_page_break(height):
            self.add_page()
        top = self.get_y()
        self.set_font(FONT, "B", 10)
        self.multi_cell(60, 6, text, align="L")
        self.set_xy(self.l_margin + 60, top)
        self.set_font(FONT, "", 10)
        self.multi_cell(value_width, 6, value, align="L")
        self.set_xy(self.l_margin, top + height)

    def _lines(self, text: str, width: float, bold: bool = False) -> int:
        """How many lines ``text`` takes in a cell ``width`` wide."""
        self.set_font(FONT, "B" if bold else "", 10)
        lines = self.multi_cell(width, 6, text, align="L", dry_run=True, output="LINES")
        return len(lines) if isinstance(lines, list) else 1

    def paragraph(self, text: str, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", 10)
        self.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")

    def bullet(self, text: str) -> None:
        self.set_font(FONT, "", 10)
        self.set_x(self.l_margin + 4)
        self.multi_cell(0, 6, f"• {text}", new_x="LMARGIN", new_y="NEXT")

    def bytes(self) -> bytes:
        return bytes(self.output())


def _day(value: Any) -> str | None:
    return french.day(value) if value else None


def _euros(value: Any) -> str | None:
    return None if value is None else french.amount(value)


def _months(value: int | None) -> str | None:
    return None if value is None else french.months(value)


def _household(pdf: _Document, household: Mapping[str, Any] | None) -> None:
    """The household as the reader may know it: the lines it may not see are left out."""
    if not _present(household, "name", "street", "postcode", "city", "contact", "members"):
        return
    assert household is not None
    pdf.section("Le ménage")
    town = " ".join(part for part in (household.get("postcode"), household.get("city")) if part)
    members = household.get("members")
    pdf.field("Nom", household.get("name"))
    pdf.field("Adresse du logement", household.get("street"))
    pdf.field("Code postal et commune", town)
    pdf.field("Contact", household.get("contact"))
    pdf.field("Composition", None if members is None else french.count(members, "personne"))


def _by_theme(items: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Items grouped by theme, in the order of ``Theme``."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        grouped.setdefault(item.get("theme") or "", []).append(item)
    order = [theme.name for theme in Theme]
    return dict(
        sorted(grouped.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    )


def _objective_text(objective: Mapping[str, Any]) -> str:
    """The objective's label, then the catalogue action it names (R11), in French."""
    text = objective.get("label") or ""
    action = objective.get("action")
    if not action:
        return text
    label = next((labels[action] for labels in ACTIONS.values() if action in labels), action)
    return f"{text}\n    action : {label}"


# ---------------------------------------------------------------- the FPEL form
def fpel_request_pdf(case: Mapping[str, Any]) -> bytes:
    """The FPEL request form of ``case`` (a ``FPEL_QUERY`` result's ``case``): the household
    and its landlord, the rent and the arrears, the diagnostic per theme, the proposed
    measure and objectives, the registration and the decision, as far as the reader may see
    them."""
    pdf = _Document("Demande d'aide au FPEL et d'accompagnement ASPE", str(case.get("id", "")))
    pdf.title_block(
        "Demande d'aide au FPEL et d'accompagnement social de prévention des expulsions",
        "Imprimé type établi lors du diagnostic, transmis au Service des Politiques Sociales "
        "du Logement et de l'Habitat (SPSLH) et examiné par la commission FPEL.",
    )
    pdf.field("Dossier ouvert le", _day(case.get("openedOn")))
    _parties(pdf, case.get("parties"))
    _household(pdf, case.get("household"))
    request = case.get("request")
    _housing_and_debt(pdf, request)
    _diagnostic(pdf, case.get("diagnostic"))
    _proposal(pdf, request, case.get("diagnostic"))
    _registration_and_decision(pdf, request, case.get("decision"))
    if not _present(case.get("household"), "contact", "members"):
        pdf.paragraph(EXTRACT)
    return pdf.bytes()


def _parties(pdf: _Document, parties: Mapping[str, Any] | None) -> None:
    if not _present(parties, "associationName", "referentName", "landlordName"):
        return
    assert parties is not None
    pdf.section("Les intervenants")
    pdf.field("Association", parties.get("associationName"))
    pdf.field("Référent·e de l'accompagnement", parties.get("referentName"))
    pdf.field("Bailleur", parties.get("landlordName"))


def _housing_and_debt(pdf: _Document, request: Mapping[str, Any] | None) -> None:
    amounts = ("monthlyRent", "rentArrears", "aidRequested", "submittedOn")
    if request is None:
        pdf.section("Le logement et la dette locative")
        pdf.paragraph("Demande non encore transmise au SPSLH.")
        return
    if not _present(request, *amounts):
        return
    pdf.section("Le logement et la dette locative")
    pdf.field("Loyer mensuel", _euros(request.get("monthlyRent")))
    pdf.field("Dette locative", _euros(request.get("rentArrears")))
    pdf.field("Aide financière demandée", _euros(request.get("aidRequested")))
    pdf.field("Demande transmise le", _day(request.get("submittedOn")))


def _diagnostic(pdf: _Document, diagnostic: Mapping[str, Any] | None) -> None:
    if diagnostic is None:
        return
    pdf.section("Le diagnostic : difficultés rencontrées, par thème")
    pdf.field("Réalisé le", _day(diagnostic.get("recordedOn")))
    for theme, findings in _by_theme(diagnostic.get("findings") or ()).items():
        pdf.paragraph(_theme(theme), bold=True)
        for finding in findings:
            pdf.bullet(finding.get("difficulty") or "")


def _proposal(
    pdf: _Document, request: Mapping[str, Any] | None, diagnostic: Mapping[str, Any] | None
) -> None:
    objectives = (diagnostic or {}).get("objectives") or ()
    proposed = request is not None and _present(request, "proposedMeasure")
    if not (proposed or objectives):
        return
    pdf.section("La mesure proposée et ses objectifs")
    if proposed:
        assert request is not None
        pdf.field("Type de mesure proposé", _measure(request["proposedMeasure"]))
        pdf.field("Durée proposée", _months(request.get("proposedDurationMonths")))
        pdf.paragraph(
            "Mesure simple : une visite à domicile par semaine. Mesure renforcée : trois "
            "visites par semaine, dont deux à domicile."
        )
    if objectives:
        pdf.paragraph("Objectifs proposés", bold=True)
        for theme, items in _by_theme(objectives).items():
            for objective in items:
                pdf.bullet(f"{_theme(theme)} — {_objective_text(objective)}")


def _registration_and_decision(
    pdf: _Document, request: Mapping[str, Any] | None, decision: Mapping[str, Any] | None
) -> None:
    registered = _present(request, "registeredOn", "commissionSessionOn")
    if not (registered or decision):
        return
    pdf.section("Enregistrement et décision")
    if request is not None:
        pdf.field("Enregistrée par le SPSLH le", _day(request.get("registeredOn")))
        pdf.field("Séance de la commission", _day(request.get("commissionSessionOn")))
    if decision is not None:
        pdf.field("Décision du", _day(decision.get("decidedOn")))
        measure = decision.get("measureType")
        pdf.field("Mesure accordée", _measure(measure) if measure else None)
        pdf.field("Durée", _months(decision.get("durationMonths")))
        pdf.field("Mise à l'épreuve", _months(decision.get("probationMonths")))
        pdf.field("Aide accordée", _euros(decision.get("aidGranted")))


# ------------------------------------------------------------------------ CEOP
def required_signatories(ceop: Mapping[str, Any]) -> list[Signatory]:
    """The household and the referent sign every version; the landlord signs one that
    binds it (R8, as the domain requires them)."""
    required = [Signatory.HOUSEHOLD, Signatory.REFERENT]
    parties = {commitment.get("party") for commitment in ceop.get("commitments") or ()}
    if Party.LANDLORD.name in parties:
        required.append(Signatory.LANDLORD)
    return required


def ceop_pdf(case: Mapping[str, Any]) -> bytes:
    """The current version of the CEOP of ``case`` (a ``CEOP_QUERY`` result's ``case``),
    ready to sign: the parties by name, the measure, objectives per theme, steps, each
    party's commitments, and one signature block per party (its date once signed, the
    « Fait à … le … » lines and a space to sign until then) never split across pages.

    A reader who may not see the contract's content (the landlord sees its signature date
    only) gets no version, objectives nor signature blocks: ``version`` is ``null`` for it,
    which never happens for a reader who may see a drafted CEOP."""
    ceop = case.get("ceop") or {}
    pdf = _Document("Contrat d'Engagement et d'Objectifs Partagés", str(case.get("id", "")))
    pdf.title_block("Contrat d'Engagement et d'Objectifs Partagés (CEOP)", _ceop_subtitle(ceop))
    parties = case.get("parties")
    _parties(pdf, parties)
    _household(pdf, case.get("household"))
    _measure_section(pdf, case.get("decision"))
    if ceop.get("version") is None:
        pdf.section("Le contrat")
        pdf.field("Contrat signé le", _day(ceop.get("signedOn")))
        pdf.paragraph(EXTRACT)
        return pdf.bytes()
    _objectives(pdf, ceop)
    _steps(pdf, ceop)
    _commitments(pdf, ceop)
    _signatures(pdf, ceop, (case.get("household") or {}).get("name"), parties or {})
    return pdf.bytes()


def _ceop_subtitle(ceop: Mapping[str, Any]) -> str:
    purpose = (
        "Ce contrat définit les objectifs de l'accompagnement, ses étapes, le rôle et les "
        "engagements de chacun ; il est adressé au SPSLH."
    )
    version, drafted = ceop.get("version"), ceop.get("draftedOn")
    if version is None:
        return purpose
    written = f", rédigée le {french.day(drafted)}" if drafted else ""
    return f"Version {version}{written}. {purpose}"


def _measure_section(pdf: _Document, decision: Mapping[str, Any] | None) -> None:
    if decision is None:
        return
    pdf.section("La mesure")
    measure = decision.get("measureType")
    pdf.field("Type", _measure(measure) if measure else None)
    pdf.field("Durée", _months(decision.get("durationMonths")))
    pdf.field("Début (signature du CEOP)", _day(decision.get("startsOn")))
    pdf.field("Fin prévue", _day(decision.get("endsOn")))


def _objectives(pdf: _Document, ceop: Mapping[str, Any]) -> None:
    pdf.section("Les objectifs")
    objectives = ceop.get("objectives") or ()
    if not objectives:
        pdf.paragraph("Aucun objectif inscrit dans cette version.")
    for theme, items in _by_theme(objectives).items():
        pdf.paragraph(_theme(theme), bold=True)
        for objective in items:
            progress = objective.get("progress")
            state = f" — {labels.label_of(ObjectiveProgress, progress)}" if progress else ""
            pdf.bullet(f"{_objective_text(objective)}{state}")


def _steps(pdf: _Document, ceop: Mapping[str, Any]) -> None:
    steps = ceop.get("steps") or ()
    if not steps:
        return
    pdf.section("Les étapes")
    for step in steps:
        due = step.get("dueOn")
        details = [f"thème : {_theme(step['theme']).lower()}"] if step.get("theme") else []
        details += [f"échéance : {french.day(due)}"] if due else []
        pdf.bullet(f"{step.get('label') or ''}" + (f" ({', '.join(details)})" if details else ""))


def _commitments(pdf: _Document, ceop: Mapping[str, Any]) -> None:
    by_party: dict[str, list[str]] = {}
    for commitment in ceop.get("commitments") or ():
        theme = commitment.get("theme")
        text = (commitment.get("text") or "") + (
            f" (thème : {_theme(theme).lower()})" if theme else ""
        )
        by_party.setdefault(commitment.get("party") or "", []).append(text)
    if not by_party:
        return
    pdf.section("Le rôle et les engagements de chacun")
    for party in Party:
        if party.name in by_party:
            pdf.paragraph(labels.title(party), bold=True)
            for text in by_party[party.name]:
                pdf.bullet(text)


def _signatures(
    pdf: _Document,
    ceop: Mapping[str, Any],
    household_name: str | None,
    parties: Mapping[str, Any],
) -> None:
    """One block per required signatory, each kept whole on one page (the heading never
    left alone at a page's foot)."""
    if pdf.will_page_break(SIGNATURE_BLOCK_HEIGHT + 14):
        pdf.add_page()
    pdf.section("Les signatures")
    signed = {item.get("signatory"): item.get("signedOn") for item in ceop.get("signatures") or ()}
    names = {
        Signatory.HOUSEHOLD: household_name,
        Signatory.REFERENT: " pour ".join(
            name for name in (parties.get("referentName"), parties.get("associationName")) if name
        ),
        Signatory.LANDLORD: parties.get("landlordName"),
    }
    for signatory in required_signatories(ceop):
        _signature_block(pdf, labels.title(signatory), names[signatory], signed.get(signatory.name))
    if ceop.get("signedOn"):
        pdf.field("Contrat signé par toutes les parties le", french.day(ceop["signedOn"]))
    pdf.field("Transmis au SPSLH le", _day(ceop.get("transmittedOn")))


SIGNATURE_BLOCK_HEIGHT = 52
"""Millimetres a signature block takes: it moves to the next page whole when it would not fit."""


def _signature_block(pdf: _Document, role: str, name: str | None, signed_on: Any) -> None:
    """A party's block; it starts a new page rather than split (it is never taller than
    ``SIGNATURE_BLOCK_HEIGHT``)."""
    if pdf.will_page_break(SIGNATURE_BLOCK_HEIGHT):
        pdf.add_page()
    pdf.paragraph(f"{role} : {name}" if name else role, bold=True)
    if signed_on:
        pdf.paragraph(f"Signé le {french.day(signed_on)}.")
        pdf.ln(4)
        return
    pdf.paragraph(f"Fait à {DOTTED}, le {DOTTED}")
    pdf.paragraph("Signature :")
    top = pdf.get_y()
    pdf.rect(pdf.l_margin, top, 90, 22)
    pdf.set_y(top + 26)
