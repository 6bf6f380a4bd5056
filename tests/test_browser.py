"""The portal in a real browser: Playwright driving Debian's Chromium against the running
portal, Prefect server and runner. A family member's invitation link signs them in and
leaves the address bar; they request changes with a comment, then approve; a link for one
production cannot open another. Screenshots of the main pages go to docs/screenshots/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from studio import services
from studio.access import invite, set_operator_password
from studio.demo import wait_for_review
from tests.conftest import free_port, new_production

pytestmark = pytest.mark.slow
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def portal(studio_stack):
    port = free_port()
    settings = studio_stack.model_copy(update={"portal": studio_stack.portal.model_copy(
        update={"port": port, "public_url": f"http://127.0.0.1:{port}"})})
    services.start_portal(settings)
    yield settings
    services.stop(settings, ("portal",))


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is needed for the browser tests: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _settle(page) -> None:
    """Let Streamlit finish drawing (no element still marked stale) before a screenshot."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("!document.querySelector('[data-stale=\"true\"]')", timeout=30_000)
    page.wait_for_timeout(800)


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp']", timeout=60_000)
    return page


def test_family_member_reviews_through_an_invitation_link(portal, browser, persona_media):
    api, production, _ = new_production(portal, persona_media)
    api.start_production(production.id)
    request = wait_for_review(api, production.id, "script-1", timeout_s=300)
    _, link = invite(api.catalog, portal, production.id, "Mei", "stakeholder", "operator")

    page = _open(browser, link)
    page.get_by_text("Deciding as Mei").wait_for(timeout=60_000)
    assert "invite=" not in page.url  # the secret left the address bar
    page.get_by_text("Come home for dinner").first.wait_for(timeout=30_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    _settle(page)
    page.screenshot(path=str(SHOTS / "review-script.png"), full_page=True)
    page.get_by_label("Comments (required to request changes; one per line)").fill("add: The tea is ready, come in.")
    page.get_by_role("button", name="Request changes").click()
    page.get_by_text("Sent back with your comments.").wait_for(timeout=60_000)
    page.close()

    second = wait_for_review(api, production.id, "script-2", timeout_s=300)
    assert "The tea is ready, come in." in [s.text for s in api.script(production.id, second.script_version).sentences]
    page = _open(browser, link)  # a new visit: the same link signs in again until it expires
    page.get_by_text("Changes since v1").wait_for(timeout=60_000)
    page.locator("[data-testid='stCode']").get_by_text("The tea is ready").first.wait_for(timeout=60_000)
    _settle(page)
    page.screenshot(path=str(SHOTS / "review-diff.png"), full_page=True)
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("Approved. The production continues.").wait_for(timeout=60_000)
    page.close()
    api.wait_past_gate(request.flow_run_id, "script-2", timeout_s=120)

    other = _open(browser, f"{link}&review=prod-someone-else-script-1")
    other.get_by_text("You were not invited to this production.").wait_for(timeout=60_000)
    other.close()
    page = _open(browser, link.replace("invite=", "invite=x"))
    page.get_by_text("this link is not valid").wait_for(timeout=60_000)
    _settle(page)
    page.screenshot(path=str(SHOTS / "sign-in.png"), full_page=True)
    page.close()


def test_operator_signs_in_and_sees_every_page(portal, browser):
    set_operator_password(portal, "ops", "correct horse battery")
    page = _open(browser, portal.portal.public_url)
    page.get_by_label("Operator name").fill("ops")
    page.get_by_role("textbox", name="Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for(timeout=60_000)
    page.get_by_role("link", name="Productions").click()
    page.get_by_role("heading", name="Productions").wait_for(timeout=60_000)
    _settle(page)
    page.screenshot(path=str(SHOTS / "productions.png"), full_page=True)
    page.get_by_role("link", name="Verify a file").click()
    page.get_by_role("heading", name="Verify a video").wait_for(timeout=60_000)
    _settle(page)
    page.screenshot(path=str(SHOTS / "verify.png"), full_page=True)
    page.close()
