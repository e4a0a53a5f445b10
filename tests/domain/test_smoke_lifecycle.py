from aspe.demo.scenarios import CaseStory
from aspe.domain.values import Status


def test_a_case_walks_to_every_status(world):
    for status in Status:
        story = CaseStory(world.departement, world.referent, world.new_household(status.value))
        case_id = story.walk_to(status)
        assert world.app.get_case(case_id).status is status
