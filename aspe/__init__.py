"""ASPE: Accompagnement Social de Prévention des Expulsions, an event-sourced case platform."""
