"""The case's printable documents: the FPEL request form (the cahier's « imprimé type ») and
the CEOP, as PDF.

Each function takes the ``case`` a GraphQL query returns (``FPEL_QUERY``, ``CEOP_QUERY``,
run as the viewer), so a PDF shows exactly what that viewer may see: a section the API
answered ``null`` for is printed « non communiqué », and HEALTH items the viewer may not see
never reach the function at all. Nothing here reads a read model or decides visibility.

French text (accents, €, œ, ’) needs a Unicode font: DejaVu Sans, shipped in ``fonts/``
with its licence (the Bitstream Vera licence; DejaVu's changes are public domain).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

from fpdf import FPDF

from aspe import french
from aspe.domain.catalogue import ACTIONS
from aspe.domain.values import MeasureType, ObjectiveProgress, Party, Signatory, Theme
from aspe.french import labels

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
NOT_SHOWN = "non communiqué"
PENDING = "en attente"

FPEL_QUERY = """
query FpelRequest($id: ID!) {
  case(id: $id) {
    id
    status
    openedOn
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
def euros(value: Any) -> str:
    """An amount; ``None`` (not shown to this reader): « non communiqué »."""
    return NOT_SHOWN if value is None else french.amount(value)


def _label(enum: type[Enum], name: str | None) -> str:
    return NOT_SHOWN if name is None else labels.label_of(enum, name)


def _theme(name: str | None) -> str:
    return NOT_SHOWN if name is None else labels.title_of(Theme, name)


def _measure(name: str | None) -> str:
    return "—" if name is None else f"mesure {_label(MeasureType, name)}"


def _months(value: int | None) -> str:
    return NOT_SHOWN if value is None else french.months(value)


# ---------------------------------------------------------------------- layout
class _Document(FPDF):
    """A4 pages in DejaVu Sans, with the title on every page and the page number below."""

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
        self.cell(0, 5, "ASPE — Fonds de Prévention des Expulsions Locatives (FPEL)")
        self.ln(5)
        self.set_font(FONT, "", 8)
        self.cell(0, 4, f"Dossier {self.case_id}")
        self.ln(8)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"{self.document_title} — page {self.page_no()}/{{nb}}", align="C")

    def title_block(self, title: str, subtitle: str) -> None:
        self.set_font(FONT, "B", 15)
        self.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 10)
        self.multi_cell(0, 5, subtitle, new_x="LMARGIN", new_y="NEXT")
        self.ln(3)

    def section(self, title: str) -> None:
        self.ln(2)
        self.set_font(FONT, "B", 12)
        self.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(60, 60, 60)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2)

    def field(self, label: str, value: str) -> None:
        """A label and its value side by side, kept on one page. The colon stays with the
        label's last word (a no-break space, as French typography wants); the next field
        starts below the taller of the two."""
        text, value = f"{label}\u00a0:", value or "—"
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


def _household(pdf: _Document, household: Mapping[str, Any] | None) -> None:
    pdf.section("Le ménage")
    if household is None:
        pdf.paragraph(NOT_SHOWN)
        return
    address = " ".join(part for part in (household.get("postcode"), household.get("city")) if part)
    pdf.field("Nom", household.get("name") or NOT_SHOWN)
    pdf.field("Adresse du logement", household.get("street") or NOT_SHOWN)
    pdf.field("Code postal et commune", address or NOT_SHOWN)
    if "contact" in household:
        pdf.field("Contact", household.get("contact") or NOT_SHOWN)
    if "members" in household:
        members = household.get("members")
        pdf.field("Composition", NOT_SHOWN if members is None else f"{members} personne(s)")


def _by_theme(items: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        grouped.setdefault(item.get("theme") or "", []).append(item)
    order = [theme.name for theme in Theme]
    return dict(
        sorted(grouped.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    )


def _objective_text(objective: Mapping[str, Any]) -> str:
    """The objective's label, then the catalogue action it names (R11), in French."""
    text = objective.get("label") or "—"
    action = objective.get("action")
    if not action:
        return text
    label = next((labels[action] for labels in ACTIONS.values() if action in labels), action)
    return f"{text}\n    action : {label}"


# ---------------------------------------------------------------- the FPEL form
def fpel_request_pdf(case: Mapping[str, Any]) -> bytes:
    """The FPEL request form of ``case`` (a ``FPEL_QUERY`` result's ``case``): the household,
    its housing, the arrears, the diagnostic per theme, the proposed measure and objectives."""
    pdf = _Document("Demande d'aide au FPEL et d'accompagnement ASPE", str(case.get("id", "")))
    pdf.title_block(
        "Demande d'aide au FPEL et d'accompagnement social de prévention des expulsions",
        "Imprimé type établi lors du diagnostic, transmis au Service des Politiques Sociales "
        "du Logement et de l'Habitat (SPSLH) et examiné par la commission FPEL.",
    )
    pdf.field("Dossier ouvert le", french.day(case.get("openedOn")))
    _household(pdf, case.get("household"))

    request = case.get("request")
    pdf.section("Le logement et la dette locative")
    if request is None:
        pdf.paragraph("Demande non encore transmise au SPSLH.")
    else:
        pdf.field("Loyer mensuel", euros(request.get("monthlyRent")))
        pdf.field("Dette locative", euros(request.get("rentArrears")))
        pdf.field("Aide financière demandée", euros(request.get("aidRequested")))
        pdf.field("Demande transmise le", french.day(request.get("submittedOn")))

    diagnostic = case.get("diagnostic")
    pdf.section("Le diagnostic : difficultés rencontrées, par thème")
    if diagnostic is None:
        pdf.paragraph("Diagnostic non communiqué ou non encore réalisé.")
    else:
        pdf.field("Réalisé le", french.day(diagnostic.get("recordedOn")))
        for theme, findings in _by_theme(diagnostic.get("findings") or ()).items():
            pdf.paragraph(_theme(theme), bold=True)
            for finding in findings:
                pdf.bullet(finding.get("difficulty") or "—")

    pdf.section("La mesure proposée et ses objectifs")
    if request is not None:
        pdf.field("Type de mesure proposé", _measure(request.get("proposedMeasure")))
        pdf.field("Durée proposée", _months(request.get("proposedDurationMonths")))
        pdf.paragraph(
            "Mesure simple : une visite à domicile par semaine. Mesure renforcée : trois "
            "visites par semaine, dont deux à domicile."
        )
    objectives = (diagnostic or {}).get("objectives") or ()
    if objectives:
        pdf.paragraph("Objectifs proposés", bold=True)
        for theme, items in _by_theme(objectives).items():
            for objective in items:
                pdf.bullet(f"{_theme(theme)} — {_objective_text(objective)}")
    elif request is None:
        pdf.paragraph("Aucune proposition communiquée.")

    if request is not None and request.get("registeredOn"):
        pdf.section("Enregistrement et décision")
        pdf.field("Enregistrée par le SPSLH le", french.day(request.get("registeredOn")))
        pdf.field("Séance de la commission", french.day(request.get("commissionSessionOn")))
        decision = case.get("decision")
        if decision is not None:
            pdf.field("Décision du", french.day(decision.get("decidedOn")))
            pdf.field("Mesure accordée", _measure(decision.get("measureType")))
            pdf.field("Durée", _months(decision.get("durationMonths")))
            pdf.field("Mise à l'épreuve", _months(decision.get("probationMonths")))
            pdf.field("Aide accordée", euros(decision.get("aidGranted")))
    return pdf.bytes()


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
    """The current version of the CEOP of ``case`` (a ``CEOP_QUERY`` result's ``case``):
    objectives, steps, each party's role and commitments, each signature's date or « en
    attente », and the version number."""
    ceop = case.get("ceop") or {}
    version = ceop.get("version")
    pdf = _Document("Contrat d'Engagement et d'Objectifs Partagés", str(case.get("id", "")))
    pdf.title_block(
        "Contrat d'Engagement et d'Objectifs Partagés (CEOP)",
        f"Version {version if version is not None else '—'} — rédigée le "
        f"{french.day(ceop.get('draftedOn'))}. Ce contrat définit les objectifs de "
        "l'accompagnement, ses étapes, le rôle et les engagements de chacun ; il est "
        "adressé au SPSLH.",
    )
    household = case.get("household")
    _household(pdf, household)

    decision = case.get("decision")
    pdf.section("La mesure")
    if decision is None:
        pdf.paragraph(NOT_SHOWN)
    else:
        pdf.field("Type", _measure(decision.get("measureType")))
        pdf.field("Durée", _months(decision.get("durationMonths")))
        pdf.field("Début (signature du CEOP)", french.day(decision.get("startsOn")))
        pdf.field("Fin prévue", french.day(decision.get("endsOn")))

    if not ceop:
        pdf.section("Le contrat")
        pdf.paragraph(
            "Aucune version du CEOP n'a encore été rédigée, ou elle n'est pas communiquée."
        )
        return pdf.bytes()

    pdf.section("Les objectifs")
    for theme, items in _by_theme(ceop.get("objectives") or ()).items():
        pdf.paragraph(_theme(theme), bold=True)
        for objective in items:
            progress = objective.get("progress")
            state = f" — {_label(ObjectiveProgress, progress)}" if progress else ""
            pdf.bullet(f"{_objective_text(objective)}{state}")

    pdf.section("Les étapes")
    steps = ceop.get("steps") or ()
    if not steps:
        pdf.paragraph("Aucune étape précisée.")
    for step in steps:
        due = step.get("dueOn")
        details = [f"thème : {_theme(step['theme']).lower()}"] if step.get("theme") else []
        details += [f"échéance : {french.day(due)}"] if due else []
        pdf.bullet(f"{step.get('label') or '—'}" + (f" ({', '.join(details)})" if details else ""))

    pdf.section("Le rôle et les engagements de chacun")
    by_party: dict[str, list[str]] = {}
    for commitment in ceop.get("commitments") or ():
        theme = commitment.get("theme")
        text = (commitment.get("text") or "—") + (
            f" (thème : {_theme(theme).lower()})" if theme else ""
        )
        by_party.setdefault(commitment.get("party") or "", []).append(text)
    for party in Party:
        if party.name in by_party:
            pdf.paragraph(labels.title(party), bold=True)
            for text in by_party[party.name]:
                pdf.bullet(text)

    pdf.section("Les signatures")
    signed = {item.get("signatory"): item.get("signedOn") for item in ceop.get("signatures") or ()}
    household_name = (household or {}).get("name")
    for signatory in required_signatories(ceop):
        title = labels.title(signatory)
        if signatory is Signatory.HOUSEHOLD and household_name:
            title = f"{title} ({household_name})"
        on = signed.get(signatory.name)
        pdf.field(title, f"signé le {french.day(on)}" if on else PENDING)
    pdf.field(
        "Contrat signé le", french.day(ceop.get("signedOn")) if ceop.get("signedOn") else PENDING
    )
    if ceop.get("transmittedOn"):
        pdf.field("Transmis au SPSLH le", french.day(ceop.get("transmittedOn")))
    return pdf.bytes()
