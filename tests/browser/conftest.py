"""Browser fixtures: the real app served on a loopback port, driven by Debian's chromium.

``live_server`` serves ``aspe.api.create_app`` with uvicorn in a thread of this process, over
a SQLite store holding the demo département (loaded once per run). ``page`` is a Playwright
page (sync API) of a headless chromium: Playwright never downloads a browser here, it drives
``/usr/bin/chromium`` (``infra/install-browser.sh`` installs it and axe-core).

Without chromium, the ``playwright`` package or axe-core these tests skip with a one-line
reason, unless ``ASPE_REQUIRE_SERVICES=1`` (CI), which turns the skip into a failure.

Helpers for the tests: ``check_accessibility(page)`` runs axe-core in the page and fails on
any serious or critical violation (printing them all); ``screenshot(page, name)`` saves a
full-page PNG to ``tests/artifacts/<name>.png`` for a person to look at.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn

from aspe.api import create_app
from aspe.bootstrap import build_application
from aspe.demo import DemoReport, load_demo
from aspe.settings import Environment, Settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("ASPE_TEST_CHROMIUM", "/usr/bin/chromium"))
"""The browser Playwright drives: Debian's package (``infra/install-browser.sh``)."""
AXE = ROOT / "tests" / ".browser" / "node_modules" / "axe-core" / "axe.min.js"
"""axe-core from the npm registry, in a git-ignored folder (``infra/install-browser.sh``)."""
ARTIFACTS = ROOT / "tests" / "artifacts"
"""Where screenshots go (git-ignored)."""
SERVICES_REQUIRED = os.environ.get("ASPE_REQUIRE_SERVICES") == "1"
START_TIMEOUT = 120.0
"""Seconds the server may take to start: its read models catch up with the demo first."""
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
INSTALL_HINT = "run `bash infra/install-browser.sh`"


def _missing(what: str) -> None:
    if SERVICES_REQUIRED:
        pytest.fail(f"{what} is required (ASPE_REQUIRE_SERVICES=1): {INSTALL_HINT}")
    pytest.skip(f"{what} is missing: {INSTALL_HINT}")


def require_browser() -> None:
    """Skip (fail in CI) unless the playwright package and Debian's chromium are here."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the playwright Python package (dev extra)")
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"chromium at {CHROMIUM}")


# ------------------------------------------------------------------------------ server
@dataclass(frozen=True)
class LiveServer:
    """The real app listening on ``url``, its store holding the demo ``report`` describes."""

    url: str
    report: DemoReport
    settings: Settings

    def email_of(self, role: str) -> str:
        """The demo login of ``role`` (a ``Role`` value such as ``"REFERENT"``)."""
        for account in self.report.accounts:
            if account.role.value == role:
                return account.email
        raise LookupError(f"the demo has no login for {role}")

    @property
    def password(self) -> str:
        return self.report.password


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, DemoReport]:
    """A SQLite store under a folder of its own, with the demo département loaded (as
    ``make run`` does: its history ends yesterday)."""
    require_browser()  # a few seconds of demo for nothing otherwise
    settings = Settings(env=Environment.TEST, data_dir=tmp_path_factory.mktemp("browser") / "var")
    application = build_application(settings)
    try:
        report = load_demo(application, settings.rules.day_of(datetime.now(UTC)))
    finally:
        application.close()
    return settings, report


@pytest.fixture(scope="session")
def live_server(demo_settings: tuple[Settings, DemoReport]) -> Iterator[LiveServer]:
    """``create_app`` served by uvicorn in a thread on a free loopback port; stopped at the
    end of the run. Ready once uvicorn has started, i.e. once the lifespan opened the store
    and the read models caught up with the demo."""
    settings, report = demo_settings
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="aspe-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            pytest.fail("the live server stopped while starting (see the log above)")
        if time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail(f"the live server did not start within {START_TIMEOUT} s")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", report, settings)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


# ----------------------------------------------------------------------------- browser
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright's sync API.

    One per test module: Playwright's sync API keeps an event loop running in the main
    thread while it is open, which the next modules' own loops (TestClient, the GraphQL
    fuzz) cannot run beside."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


CSP_REFUSAL = "Content Security Policy"
"""What chromium's console says when the page's Content-Security-Policy refuses something."""


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A fresh page (no cookies) whose relative URLs go to the live server, in French; a
    test fails if chromium reports anything the pages' Content-Security-Policy refused."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        viewport={"width": 1280, "height": 800},
    )
    opened = context.new_page()
    refused = csp_refusals(opened)
    try:
        yield opened
    finally:
        context.close()
    assert refused == [], "the Content-Security-Policy refused:\n" + "\n".join(refused)


def csp_refusals(page: Page) -> list[str]:
    """A list that fills with what the page's Content-Security-Policy refuses, as chromium's
    console reports it (a test asserts it stayed empty)."""
    refused: list[str] = []

    def on_console(message: Any) -> None:
        if CSP_REFUSAL in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return refused


# ----------------------------------------------------------------------------- helpers
def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as ``tests/artifacts/<name>.png`` and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of the page as it is now (every impact)."""
    if not AXE.is_file():
        _missing(f"axe-core at {AXE.relative_to(ROOT)}")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated by the driver, not added as a <script> tag: the pages'
        # Content-Security-Policy refuses inline scripts.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    results: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    violations: list[dict[str, Any]] = results["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violation: rule, impact, help and the offending elements."""
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"<{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            target = json.dumps(node["target"], ensure_ascii=False)
            lines.append(f"    {target}: {node['html'][:200]}")
            if node.get("failureSummary"):
                summary = node["failureSummary"].replace("\n", "\n      ")
                lines.append(f"      {summary}")
    return "\n".join(lines)


def check_accessibility(page: Page) -> None:
    """Fail on any serious or critical axe-core violation of the page; print every
    violation found (minor and moderate ones too, for information)."""
    violations = accessibility_violations(page)
    if violations:
        print(f"axe-core on {page.url}:\n{describe(violations)}")
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"serious or critical accessibility violations on {page.url}:\n" + (
        describe(blocking)
    )
