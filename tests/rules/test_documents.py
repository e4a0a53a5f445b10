"""Documents joined to a case: who may join one, what the event keeps, what is refused."""

import hashlib

from aspe.application.history import case_history
from aspe.demo.scenarios import household_actor
from aspe.domain.actors import Role
from aspe.domain.values import DocumentKind, Status, StopReason

LEASE = hashlib.sha256(b"bail").hexdigest()
CERTIFICATE = hashlib.sha256(b"certificat").hexdigest()
PAYSLIP = hashlib.sha256(b"attestation caf").hexdigest()
NOTE = hashlib.sha256(b"note").hexdigest()


def test_the_referent_joins_a_document_and_the_event_records_its_hash_who_and_when(world, story):
    case_id = story().walk_to(Status.DIAGNOSTIC)

    with world.acting(world.referent):
        created = world.app.attach_document(
            case_id,
            DocumentKind.LEASE,
            "C:\\Mes documents\\bail.pdf",
            "application/pdf",
            2048,
            LEASE,
        )

    attached = world.last_event(case_id)
    assert type(attached).__name__ == "DocumentAttached"
    assert attached.sha256 == LEASE
    assert attached.document_id == created.id.hex
    assert (attached.kind, attached.filename, attached.size) == (
        DocumentKind.LEASE,
        "bail.pdf",
        2048,
    )
    assert attached.media_type == "application/pdf"
    assert attached.actor_id == world.referent.actor.id
    assert attached.actor_role is Role.REFERENT
    assert attached.attached_on == world.clock.today()
    assert attached.timestamp == world.clock()


def test_the_household_joins_a_document_to_its_own_open_case(world, story):
    given = story()
    case_id = given.walk_to(Status.SUBMITTED)

    with world.acting(household_actor(given.household_id)):
        world.app.attach_document(
            case_id, DocumentKind.RESOURCES, "caf.png", "image/png", 10, PAYSLIP
        )

    assert world.last_event(case_id).actor_role is Role.HOUSEHOLD


def test_no_other_party_may_join_a_document(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)
    other = story()
    other.walk_to(Status.DIAGNOSTIC)
    outsiders = (
        world.spslh,
        world.commission,
        world.landlord,
        world.auditor,
        world.other_association.referents[0],
        world.second_referent,
        household_actor(other.household_id),
    )

    for outsider in outsiders:
        with world.acting(outsider), refused.expect("NOT_AUTHORISED"):
            world.app.attach_document(
                case_id, DocumentKind.OTHER, "note.pdf", "application/pdf", 10, LEASE
            )


def test_the_household_may_not_join_a_document_once_the_measure_has_ended(world, story, refused):
    given = story()
    case_id = given.walk_to(Status.ACTIVE)
    with world.acting(world.commission):
        world.app.stop_measure(case_id, StopReason.HOUSEHOLD_MOVED)

    with world.acting(household_actor(given.household_id)), refused.expect("INVALID_TRANSITION"):
        world.app.attach_document(case_id, DocumentKind.OTHER, "a.pdf", "application/pdf", 10, NOTE)
    with world.acting(world.referent):
        world.app.attach_document(case_id, DocumentKind.OTHER, "a.pdf", "application/pdf", 10, NOTE)


def test_the_same_content_is_joined_once_per_case(world, story, refused):
    case_id = story().walk_to(Status.DIAGNOSTIC)
    with world.acting(world.referent):
        world.app.attach_document(
            case_id, DocumentKind.LEASE, "bail.pdf", "application/pdf", 9, LEASE
        )

    with world.acting(world.referent), refused.expect("ALREADY_DONE"):
        world.app.attach_document(
            case_id, DocumentKind.OTHER, "copie.pdf", "application/pdf", 9, LEASE.upper()
        )


def test_a_content_keeps_the_kind_it_was_first_joined_under_on_every_case(world, story, refused):
    first, second = story().walk_to(Status.DIAGNOSTIC), story().walk_to(Status.DIAGNOSTIC)
    with world.acting(world.referent):
        world.app.attach_document(
            first, DocumentKind.MEDICAL, "certificat.pdf", "application/pdf", 9, CERTIFICATE
        )

    with world.acting(world.referent), refused.expect("DOCUMENT_KIND_FIXED"):
        world.app.attach_document(
            second, DocumentKind.OTHER, "autre.pdf", "application/pdf", 9, CERTIFICATE.upper()
        )
    with world.acting(world.referent):
        world.app.attach_document(
            second, DocumentKind.MEDICAL, "certificat.pdf", "application/pdf", 9, CERTIFICATE
        )
    assert type(world.last_event(second)).__name__ == "DocumentAttached"


def test_a_malformed_description_is_refused(world, story, refused):
    case_id = story().walk_to(Status.DIAGNOSTIC)
    malformed = (
        ("bail.pdf", "application/pdf", 9, "not-a-hash"),
        ("bail.pdf", "application/pdf", 0, LEASE),
        ("   ", "application/pdf", 9, LEASE),
        ("dossier/", "application/pdf", 9, LEASE),
        ("x" * 201, "application/pdf", 9, LEASE),
        ("bail.pdf", " ", 9, LEASE),
    )

    for filename, media_type, size, digest in malformed:
        with world.acting(world.referent), refused.expect("INVALID_INPUT"):
            world.app.attach_document(
                case_id, DocumentKind.LEASE, filename, media_type, size, digest
            )


def test_a_medical_document_is_an_item_of_theme_health():
    assert DocumentKind.MEDICAL.theme is not None
    assert DocumentKind.MEDICAL.theme.name == "HEALTH"
    assert {kind for kind in DocumentKind if kind.theme is not None} == {DocumentKind.MEDICAL}


def test_the_history_tells_a_document_was_joined_without_its_name_or_kind(world, story):
    case_id = story().walk_to(Status.DIAGNOSTIC)
    with world.acting(world.referent):
        world.app.attach_document(
            case_id,
            DocumentKind.MEDICAL,
            "certificat-medical.pdf",
            "application/pdf",
            9,
            CERTIFICATE,
        )

    last = case_history(world.app, case_id)[-1]
    assert "Document joint" in last.summary
    assert "certificat" not in last.summary
    assert "médical" not in last.summary
