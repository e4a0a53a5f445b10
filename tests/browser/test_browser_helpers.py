"""The browser helpers themselves: axe-core catches what it should, screenshots are saved."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import ARTIFACTS, check_accessibility, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

ACCESSIBLE = """<!doctype html><html lang="fr"><head><title>Essai</title></head>
<body><main><h1>Essai</h1><form><label for="courriel">Adresse e-mail</label>
<input id="courriel" name="email" type="email"><button type="submit">Envoyer</button>
</form></main></body></html>"""

UNLABELLED = ACCESSIBLE.replace('<label for="courriel">Adresse e-mail</label>', "")


@pytest.fixture
def blank(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_page_with_labelled_fields_passes_the_accessibility_check(blank: Page) -> None:
    # given a page whose only field has its label
    blank.set_content(ACCESSIBLE)

    # when it is checked, then nothing is reported
    check_accessibility(blank)


def test_a_field_without_a_label_fails_the_accessibility_check(blank: Page) -> None:
    # given a page whose field has no label
    blank.set_content(UNLABELLED)

    # when it is checked
    with pytest.raises(AssertionError) as failure:
        check_accessibility(blank)

    # then the failure names axe-core's rule and the field
    assert "label" in str(failure.value)
    assert 'name="email"' in str(failure.value)


def test_a_screenshot_is_saved_as_a_png_under_tests_artifacts(blank: Page) -> None:
    # given a page
    blank.set_content(ACCESSIBLE)

    # when it is photographed
    path = screenshot(blank, "essai-capture")

    # then a PNG is in tests/artifacts
    assert path == ARTIFACTS / "essai-capture.png"
    assert path.read_bytes().startswith(b"\x89PNG")
    path.unlink()
