"""Every page of every role fits the screen, from a phone (390 px) to a desktop (1280 px).

For each demo role, logged in once, its pages (home, the pages its home links to such as
the agenda, the accounts or the access log, notifications, the shared demo case, a stopped
case for the staff who see it, statistics, the password page) are drawn at both widths, and
the browser's own boxes are measured:

- no element's content is wider than its box (a cut date, an identifier past its card), no
  text is drawn past the card that holds it, and the page is never wider than the screen;
- a table too wide scrolls inside its own region, labelled and reachable by keyboard;
- the short facts of a case's cards (a date, an amount, the case's identifier) each hold
  on one line: a card narrower than its facts puts each term above its value.

axe-core checks each page at the phone's width too (``test_pages_accessibility`` checks the
desktop's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from aspe.demo import LOGINS
from tests.browser.conftest import LiveServer, check_accessibility
from tests.browser.test_pages_accessibility import (
    SHARED_CASE_LABEL,
    STATISTICS_ROLES,
    log_in,
    sample_case_id,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (390, 1280)
STAFF_OF_A_STOPPED_CASE = {
    "REFERENT", "ASSOCIATION_MANAGER", "SPSLH_AGENT", "COMMISSION_MEMBER", "AUDITOR",
}  # fmt: skip
"""Who may open the demo's stopped case (its association's staff, the public services)."""
STOPPED_CASE_LABEL = "Alerte de la plateforme, arrêt"

OVERFLOWS = """
() => {
  const found = [];
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth + 1) {
    found.push(`the page is ${page.scrollWidth} px wide on a ${window.innerWidth} px screen`);
  }
  for (const element of document.querySelectorAll("main *")) {
    if (element.closest(".defilement-tableau, .defilement-graphique, svg, .visuellement-cache")) {
      continue;  // a region that scrolls on purpose, a chart, a text for screen readers
    }
    if (["INPUT", "SELECT", "TEXTAREA", "OPTION"].includes(element.tagName)) continue;
    const display = getComputedStyle(element).display;
    if (display === "none") continue;
    const text = element.textContent.trim().replace(/\\s+/g, " ").slice(0, 50);
    const ownText = [...element.childNodes].some(
      (node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim() !== ""
    );
    const card = element.parentElement.closest(".encart, .carte, main");
    if (ownText && card && element.getClientRects().length) {  // a text past its card
      const box = element.getBoundingClientRect();
      const cardBox = card.getBoundingClientRect();
      if (box.right > cardBox.right + 1 || box.left < cardBox.left - 1) {
        found.push(`${element.tagName.toLowerCase()} « ${text} » lies outside its card`);
      }
    }
    if (display === "inline" || element.clientWidth === 0) continue;
    if (element.scrollWidth > element.clientWidth + 1) {  // a box whose content is wider
      const sizes = `${element.scrollWidth} px for ${element.clientWidth}`;
      found.push(`${element.tagName.toLowerCase()} « ${text} » needs ${sizes}`);
    }
  }
  for (const region of document.querySelectorAll("main .defilement-tableau")) {
    if (region.scrollWidth <= region.clientWidth + 1) continue;
    const labelled = region.getAttribute("role") === "region"
      && region.getAttribute("tabindex") === "0"
      && (region.hasAttribute("aria-label") || region.hasAttribute("aria-labelledby"));
    if (!labelled) found.push("a table scrolls in a region with no label or no keyboard focus");
  }
  return found;
}
"""
"""What overflows its box on the page drawn now."""

SHORT_FACTS_ON_SEVERAL_LINES = """
() => [...document.querySelectorAll(".encart .faits dd")]
  .filter((value) => value.textContent.trim().length <= 40)
  .filter((value) => {
    const lineHeight = parseFloat(getComputedStyle(value).lineHeight);
    return value.getBoundingClientRect().height > lineHeight * 1.5;
  })
  .map((value) => value.textContent.trim())
"""
"""The short values of the case's cards (dates, amounts, the identifier) that wrap."""


PAGES_LINKED_FROM_HOME = """
() => [...document.querySelectorAll("a[href^='/']:not([download])")]
  .map((link) => new URL(link.href))
  .filter((url) => url.search === "" && url.hash === "")
  .filter((url) => !/^\\/dossiers\\/|\\.(pdf|json|ics|csv)$/.test(url.pathname))
  .map((url) => url.pathname)
"""
"""The role's own pages its home links to (its agenda, its accounts, the access log…), not
the cases (one of each kind is visited) nor the files to download."""


def pages_of(role: str, live_server: LiveServer, linked: list[str]) -> list[str]:
    pages = ["/", "/notifications", "/mon-compte/mot-de-passe"]
    pages += [path for path in linked if path not in pages and path != "/statistiques"]
    if role != "ADMIN":
        pages.append(f"/dossiers/{sample_case_id(live_server, SHARED_CASE_LABEL)}")
    if role in STAFF_OF_A_STOPPED_CASE:
        pages.append(f"/dossiers/{sample_case_id(live_server, STOPPED_CASE_LABEL)}")
    if role in STATISTICS_ROLES:
        pages.append("/statistiques")
    return pages


@pytest.mark.parametrize("role", [role.value for role in LOGINS])
def test_every_page_of_a_role_fits_a_phone_and_a_desktop(
    page: Page, live_server: LiveServer, role: str
) -> None:
    # given the demo account of a role, logged in
    log_in(page, live_server, role)
    pages = pages_of(role, live_server, page.evaluate(PAGES_LINKED_FROM_HOME))
    problems: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in pages:
            # when it opens each of its pages at this width
            response = page.goto(path)
            assert response is not None
            assert response.status == 200, path
            # then nothing overflows its box, and a card's short facts hold on one line
            problems += [f"{width} px {path}: {found}" for found in page.evaluate(OVERFLOWS)]
            problems += [
                f"{width} px {path}: « {value} » wraps"
                for value in page.evaluate(SHORT_FACTS_ON_SEVERAL_LINES)
            ]
            if width == WIDTHS[0]:
                check_accessibility(page)
    assert problems == []
