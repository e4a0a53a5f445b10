"""The README's screenshots: each role's home, and a référent's day, from a running portal.

Run it against the demo (``make run`` in another terminal), with the browser the tests use
(``bash infra/install-browser.sh``)::

    .venv/bin/python docs/screenshots.py [http://127.0.0.1:8000]

It logs in as each demo account and saves PNG files next to this script: ``home-<role>.png``
for each role's home at 1280 px, and ``journee-*.png`` for the référent's day (the work
list, the agenda, a case page with its « À faire », a form refused, a statistics chart).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from aspe.demo import LOGINS
from aspe.demo.scenarios import DEFAULT_PASSWORD

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
WIDTH = 1280


def log_in(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/connexion")
    page.fill("input[name=email]", email)
    page.fill("input[name=mot_de_passe]", DEFAULT_PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_load_state()


def shoot(page: Page, name: str, *, full_page: bool = False, clip_to: str | None = None) -> None:
    path = HERE / f"{name}.png"
    if clip_to is not None:
        page.locator(clip_to).first.screenshot(path=path)
    else:
        page.screenshot(path=path, full_page=full_page)
    print(path.relative_to(HERE.parent))


def homes(page: Page, base: str) -> None:
    for role, email in LOGINS.items():
        log_in(page, base, email)
        shoot(page, f"home-{role.value.lower().replace('_', '-')}")


def referent_day(page: Page, base: str) -> None:
    """The référent's day: her work list, a search without accents, the week's agenda, a
    case opened with what needs doing first, a visit's form refused then recorded."""
    log_in(page, base, LOGINS_BY_VALUE["REFERENT"])
    shoot(page, "journee-1-accueil")
    page.goto(f"{base}/?recherche=guerin")
    shoot(page, "journee-2-recherche", clip_to="main")
    page.goto(f"{base}/agenda")
    shoot(page, "journee-3-agenda", clip_to="main")
    page.goto(f"{base}/?recherche=durand")
    page.get_by_role("link", name="Famille Durand").first.click()
    page.wait_for_load_state()
    case_url = page.url.split("?")[0].split("#")[0]
    shoot(page, "journee-4-dossier")
    page.goto(f"{case_url}?action=visite#visite")
    page.locator("form#visite [type=submit]").first.click()
    page.wait_for_load_state()
    shoot(page, "journee-5-formulaire-refuse")
    page.goto(f"{case_url}?action=visite#visite")
    form = page.locator("form#visite")
    form.locator("input[type=date]").first.fill(_today(page))
    form.locator("select").first.select_option(index=1)
    form.locator("textarea").first.fill("Point sur le budget du mois ; quittance de loyer vue.")
    form.locator("[type=submit]").first.click()
    page.wait_for_load_state()
    shoot(page, "journee-6-visite-enregistree")


def _today(page: Page) -> str:
    """Today where the browser is, as a date field takes it."""
    return str(page.evaluate("new Date().toISOString().slice(0, 10)"))


LOGINS_BY_VALUE = {role.value: email for role, email in LOGINS.items()}


def main() -> None:
    base = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000").rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": WIDTH, "height": 860})
        homes(page, base)
        referent_day(page, base)
        browser.close()


if __name__ == "__main__":
    main()
