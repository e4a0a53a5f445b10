"""The statistics page as a person sees it: every label of every chart is whole.

Server-rendered SVG cannot know how wide a word is drawn; only a browser can. Here the
page is drawn by chromium and each text of each chart is measured against its chart's
drawing area.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import LiveServer, check_accessibility
from tests.browser.test_pages_accessibility import log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CUT_TEXTS = """
() => [...document.querySelectorAll("svg.graphique")].flatMap((svg) => {
  const [, , width, height] = svg.getAttribute("viewBox").split(" ").map(Number);
  return [...svg.querySelectorAll("text")]
    .map((text) => ({ text: text.textContent, box: text.getBBox() }))
    .filter(({ box }) => box.x < 0 || box.y < 0 || box.x + box.width > width + 0.5
                         || box.y + box.height > height + 0.5)
    .map(({ text }) => text);
})
"""
"""The texts of the page's charts that stick out of their chart's drawing area."""


@pytest.mark.parametrize("width", [390, 1280])
def test_no_label_of_a_statistics_chart_is_cut(
    page: Page, live_server: LiveServer, width: int
) -> None:
    # given the SPSLH agent on the statistics page
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "SPSLH_AGENT")

    # when the page is drawn
    page.goto("/statistiques")

    # then every label of every chart lies within its chart
    assert page.locator("svg.graphique").count() > 5
    assert page.evaluate(CUT_TEXTS) == []
    # and the month still running is said to be
    assert page.locator("svg.graphique text.en-cours").count() > 0
    check_accessibility(page)
