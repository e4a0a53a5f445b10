"""R11: the catalogue of actions the cahier des charges lists per theme (§11).

The list is not exhaustive: an objective may name one of these actions or be free text.
"""

from __future__ import annotations

from aspe.domain.values import Theme

ACTIONS: dict[Theme, dict[str, str]] = {
    Theme.HOUSING: {
        "HOUSING_PROJECT": "Définir le projet logement",
        "HOUSING_DIFFICULTIES": "Analyser et évaluer les difficultés rencontrées dans le logement",
        "HOUSING_TRANSFER": "Évaluer les possibilités d'une mutation si la situation le nécessite",
    },
    Theme.BUDGET: {
        "BUDGET_PLAN": "Établir un budget (mensuel, prévisionnel…) avec des outils de gestion",
        "BUDGET_RENT_BILLS": "S'assurer du paiement du loyer et des factures courantes",
        "BUDGET_DEBT_INVENTORY": "Établir l'inventaire des dettes et crédits",
        "BUDGET_DEBT_TREATMENT": "Négocier et suivre le traitement des dettes "
        "(plan d'apurement, dossier de surendettement…)",
        "BUDGET_RIGHTS": "S'assurer de l'ouverture complète des droits",
    },
    Theme.ADMINISTRATIVE: {
        "ADMIN_DIGITAL": "Aider à l'utilisation des outils numériques et au classement des papiers",
        "ADMIN_SERVICES": "Faire connaître les services et institutions d'appui au quotidien",
        "ADMIN_ENERGY": "Accompagner à la gestion des énergies",
        "ADMIN_UPKEEP": "S'assurer du bon entretien du logement et de ses équipements",
        "ADMIN_REPAIRS": "Établir un programme d'action de remise en état du logement",
    },
    Theme.MEDIATION: {
        "MEDIATION_LANDLORD": "Établir et assurer la relation avec le bailleur",
        "MEDIATION_SOCIAL_RULES": "Sensibiliser aux règles de vie sociale",
        "MEDIATION_PROFESSIONALS": "Assurer l'interface avec les professionnels en contact",
    },
    Theme.EMPLOYMENT: {
        "EMPLOYMENT_RSA": "Lien avec le référent RSA",
        "EMPLOYMENT_PROJECT": "Définir un projet professionnel adapté (formation, emploi…)",
    },
    Theme.MOBILITY: {
        "MOBILITY_TRANSPORT": "S'assurer de la bonne utilisation des transports locaux",
        "MOBILITY_LICENCE": "Mobiliser les dispositifs d'obtention du permis de conduire",
    },
    Theme.HEALTH: {
        "HEALTH_FOLLOW_UP": "Suivi santé dans un parcours de soins coordonné",
        "HEALTH_SPECIFIC": "Accompagnement et orientations spécifiques",
    },
}


def theme_of_action(action: str) -> Theme | None:
    for theme, actions in ACTIONS.items():
        if action in actions:
            return theme
    return None
