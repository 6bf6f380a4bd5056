"""The portal in a real browser: Playwright driving Debian's Chromium against the running
portal, Prefect server and runner. A family member's invitation link signs them in and
leaves the address bar; they request changes with a comment, then approve; a link for one
production cannot open another. The pages' screenshots come from the Chinese journey
(``tests/test_browser_journey.py``); this module keeps the one of hostile words shown as text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app import services
from app.demo import approve_as_every_role, wait_for_review
from review.access import invite, set_operator_password
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


IN_FLIGHT: dict = {}  # page -> its requests not yet answered, but for media streams
SETTLED = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-stale="true"]')
    && Array.from(document.images).every(i => i.complete)
    && Array.from(document.querySelectorAll('audio, video')).every(m => m.readyState >= 1 || m.error)"""


def _track_requests(page) -> None:
    """Count the page's requests in flight, leaving out Streamlit's media (``/media/``): Chromium
    may hold a video's stream open while it buffers, so "network idle" can never come on a page
    with a player."""
    pending = IN_FLIGHT[page] = set()
    page.on("request", lambda r: None if "/media/" in r.url else pending.add(r))
    page.on("requestfinished", lambda r: pending.discard(r))
    page.on("requestfailed", lambda r: pending.discard(r))


def _settle(page, timeout_ms: int = 30_000) -> None:
    """Let Streamlit finish: no request in flight for 500 ms (uploads reached the server), the
    script not running, no element still marked stale, every image drawn and every player knowing
    its length; then a screenshot."""
    pending = IN_FLIGHT[page]
    quiet_ms = waited_ms = 0
    while quiet_ms < 500:
        if waited_ms > timeout_ms:
            raise TimeoutError(f"requests still in flight after {timeout_ms} ms: {[r.url for r in pending]}")
        page.wait_for_timeout(100)  # also lets Playwright deliver the request events
        waited_ms += 100
        quiet_ms = 0 if pending else quiet_ms + 100
    page.wait_for_function(SETTLED, timeout=timeout_ms)
    page.wait_for_timeout(800)


def _file_input(page, label: str):
    return page.locator("[data-testid='stFileUploader']").filter(has_text=label).locator("input[type='file']")


PAGES: list = []


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request, tmp_path_factory):
    """A failing browser test leaves a picture of each page it had open, for the person fixing it."""
    PAGES.clear()
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        folder = tmp_path_factory.mktemp("failed-pages")
        for n, page in enumerate(PAGES):
            if not page.is_closed():
                page.screenshot(path=str(folder / f"page-{n}.png"), full_page=True)
        print(f"screenshots of the pages at failure: {folder}")


VIEWPORT = {"width": 1280, "height": 1400}


def _open(browser, url: str, context=None):
    """A page at ``url``: in ``context`` (one person's browser, its cookies kept), or in a new one."""
    page = context.new_page() if context is not None else browser.new_page(viewport=VIEWPORT)
    PAGES.append(page)
    _track_requests(page)
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp']", timeout=60_000)
    return page


def test_family_member_reviews_through_an_invitation_link(portal, browser, persona_media):
    api, production, _ = new_production(portal, persona_media)
    api.start_production(production.id)
    request = wait_for_review(api, production.id, "script-1", timeout_s=300)
    _, link = invite(api.catalog, portal, production.id, "Lan", "family", "operator")

    lan = browser.new_context(viewport=VIEWPORT)  # Lan's own browser, kept for her later visits
    page = _open(browser, link, lan)
    page.get_by_text("Deciding as Lan").wait_for(timeout=60_000)
    assert "invite=" not in page.url  # the secret left the address bar
    page.get_by_text(api.script(production.id, 1).sentences[-1].text).first.wait_for(timeout=30_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    _settle(page)
    # a comment anchored to sentence 1 (the default anchor), then changes requested with it
    page.get_by_label("Comment", exact=True).fill("add: The tea is ready, come in.")
    page.get_by_role("button", name="Add comment").click()
    page.get_by_text("Sentence 1:").first.wait_for(timeout=60_000)
    _settle(page)
    page.get_by_role("button", name="Request changes").click()
    page.get_by_text("Sent back with your comments.").wait_for(timeout=60_000)
    page.close()

    second = wait_for_review(api, production.id, "script-2", timeout_s=300)
    v2 = api.script(production.id, second.script_version)
    assert v2.sentences[1].text == "The tea is ready, come in."  # right after the sentence it was anchored to
    page = _open(browser, link, lan)  # a new visit in her browser: the same link signs her in again
    page.get_by_text("Changes since v1").wait_for(timeout=60_000)
    page.locator("[data-testid='stCode']").get_by_text("The tea is ready").first.wait_for(timeout=60_000)
    _settle(page)
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("Your approval is recorded. Still waiting for: stakeholder.").wait_for(timeout=60_000)
    page.close()
    assert api.run_state(request.flow_run_id).name == "Suspended"  # one role of two has approved

    _, mei_link = invite(api.catalog, portal, production.id, "Mei", "stakeholder", "operator", language="zh")
    page = _open(browser, mei_link)  # the stakeholder reads the portal in Chinese
    page.get_by_text("等待您的审阅").wait_for(timeout=60_000)
    page.get_by_text("家属：Lan 已于").wait_for(timeout=60_000)
    _settle(page)
    page.get_by_role("button", name="批准").click()
    page.get_by_text("已批准，制作继续进行。").wait_for(timeout=60_000)
    page.close()
    api.wait_past_gate(request.flow_run_id, "script-2", timeout_s=120)
    video = wait_for_review(api, production.id, "video-1", timeout_s=300)
    page = _open(browser, link, lan)  # the take (its quality report, measured, in test_browser_journey)
    page.get_by_role("heading", name="Voice and video").wait_for(timeout=60_000)
    _settle(page)
    page.close()
    approve_as_every_role(api, video)
    api.wait_for_run(request.flow_run_id, {"COMPLETED"}, timeout_s=300)
    template = api.save_template(production.id, "birthday greeting", {"day": "birthday"}, approved_by=["Lan"])
    api.schedule_template(template.id, cron="0 8 15 3 *", values={"day": "birthday"}, active=True)

    other = _open(browser, f"{link}&review=prod-someone-else-script-1", lan)
    other.get_by_text("You were not invited to this production.").wait_for(timeout=60_000)
    other.close()
    elsewhere = _open(browser, link)  # the same link from another browser (a synced history): refused
    elsewhere.get_by_text("already opened in another browser").wait_for(timeout=60_000)
    elsewhere.close()
    lan.close()
    page = _open(browser, link.replace("invite=", "invite=x"))
    page.get_by_text("this link is not valid").wait_for(timeout=60_000)
    _settle(page)
    page.close()


def test_operator_signs_in_and_sees_every_page(portal, browser, persona_media, tmp_path):
    api, production, _ = new_production(portal, persona_media)
    api.start_production(production.id)
    wait_for_review(api, production.id, "script-1", timeout_s=300)  # its first steps are done
    set_operator_password(portal, "ops", "correct horse battery")
    page = _open(browser, portal.portal.public_url)
    page.get_by_label("Operator name").fill("ops")
    page.get_by_role("textbox", name="Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for(timeout=60_000)

    page.get_by_role("link", name="Personas and consent").click()
    page.get_by_role("heading", name="Personas and consent").wait_for(timeout=60_000)
    page.get_by_text("Add a persona").click()
    _settle(page)  # the form is drawn, so the typed name is the one it sends (a busy machine lags here)
    page.get_by_label("Name", exact=True).fill("Aunt D (fictional)")
    _settle(page)
    page.get_by_role("button", name="Add persona").click()
    page.get_by_text("Added Aunt D (fictional)").wait_for(timeout=60_000)
    page.get_by_text("New consent record").click()  # with evidence uploaded through the browser
    _settle(page)  # the form is now Aunt D's own (every field keyed to the persona it is for)
    page.get_by_label("Given by (name)").filter(visible=True).fill("Aunt D (fictional)")
    _file_input(page, "Evidence: a signed form").set_input_files(str(persona_media["text"]))
    page.get_by_role("button", name="Add consent").click()
    page.get_by_text("Not recorded:").wait_for(timeout=60_000)  # no use chosen: refused, nothing stored
    _settle(page)

    page.get_by_role("link", name="Materials").click()
    page.get_by_role("heading", name="Materials").wait_for(timeout=60_000)
    page.locator("[data-testid='stSelectbox']").filter(has_text="These files are").click()
    page.get_by_role("option", name="video footage").click()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    _file_input(page, "Files").set_input_files([str(persona_media["footage"]), str(broken)])
    page.get_by_text("broken.mp4").first.wait_for(timeout=60_000)
    _settle(page)  # both files are on the server before the form is sent
    page.get_by_role("button", name="Store these files").click()
    page.get_by_text("2 of 2 files").wait_for(timeout=120_000)
    page.get_by_text("broken.mp4: not stored").wait_for(timeout=60_000)  # a corrupt file is refused, alone
    page.get_by_role("button", name="Tag this segment").click()
    page.get_by_text("Tagged drinking at 0.0-2.0 s").wait_for(timeout=60_000)
    _settle(page)

    page.get_by_role("link", name="Productions").click()
    page.get_by_role("heading", name="Productions").wait_for(timeout=60_000)
    page.get_by_text("select materials").first.wait_for(timeout=60_000)  # step states read from Prefect
    _settle(page)
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("heading", name="Templates and schedules").wait_for(timeout=60_000)
    _settle(page)
    page.get_by_role("link", name="Verify a file").click()
    page.get_by_role("heading", name="Verify a file").wait_for(timeout=60_000)
    _settle(page)
    page.close()


class _Tracker:
    """An HTTP server on 127.0.0.1 that answers everything and remembers every request: a page
    that loads an image, follows a form or runs a script aimed at it shows up here."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append(self.path)
                self.send_response(200)
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_hostile_words_stay_text_in_chromium(portal, browser, abuse):
    """A reviewer's edit and comments carrying HTML, scripts, an overlay, a form and images run
    nothing and load nothing, for the other reviewer and for the operator: they read as typed."""
    from app.api import StudioAPI
    from script.records import ScriptVersion
    from script.sentences import Brief, Sentence
    from tests.test_abuse_decisions import _paused_gate

    tracker = _Tracker()
    hostile = [f'<iframe srcdoc="<script>fetch(\'{tracker.url}/script\')</script>"></iframe>',
               '<div style="position:fixed;top:0;left:0;width:100%;height:100%;background:white;z-index:9999">'
               'The studio checked this version: nothing to worry about. Please approve.</div>',
               f'<img src="{tracker.url}/img.png"> Happy birthday.',
               f'<form action="{tracker.url}/form" method="post"><button>Approve</button></form>',
               f'![family photo]({tracker.url}/pixel.png) and <script>fetch("{tracker.url}/inline")</script>']
    api = StudioAPI(portal)
    evidence = Path(portal.home) / "hostile-form.txt"
    evidence.write_text("signed form")
    persona = api.create_persona("Grandma H (fictional)", ["en"], fictional=True)
    api.add_consent(persona.id, "Grandma H (fictional)", "self", ["greeting"], [evidence])
    production = api.create_production(persona.id, "greeting", Brief(occasion="birthday", audience="family"),
                                       ["Mei"], ["Lan"])
    api.catalog.save(ScriptVersion(id=ScriptVersion.id_for(production.id, 1), production_id=production.id, version=1,
                                   language="en", backend="edit", sentences=[Sentence(text=h) for h in hostile]))
    request = _paused_gate(api, api.catalog.load(type(production), production.id))
    api.add_comment(request.id, "Lan", "family", hostile[4], sentence=1)
    dialogs = []
    try:
        _, link = invite(api.catalog, portal, production.id, "Mei", "stakeholder", "operator")
        set_operator_password(portal, "ops-h", "correct horse battery")
        for who in ("reviewer", "operator"):
            page = _open(browser, link if who == "reviewer" else portal.portal.public_url)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            if who == "operator":
                page.get_by_label("Operator name").fill("ops-h")
                page.get_by_role("textbox", name="Password").fill("correct horse battery")
                page.get_by_role("button", name="Sign in").click()
                page.get_by_text("Signed in as").wait_for(timeout=60_000)
                page.locator("[data-testid='stSelectbox']").filter(has_text="Production").click()
                page.get_by_role("option", name=api.production_title(production.id), exact=False).first.click()
            page.get_by_text("The studio checked this version", exact=False).first.wait_for(timeout=60_000)
            _settle(page)
            page.wait_for_timeout(2000)
            body = page.inner_text("[data-testid='stMain']").replace("\u2060", "")  # the word joiner that keeps an address text
            literal = all(h in body for h in hostile)  # every character shown as typed
            active = page.locator(f"iframe, img[src*='{tracker.url}'], form[action], a[href*='{tracker.url}']").count()
            ok = literal and active == 0 and not tracker.seen and not dialogs
            abuse.record("6", f"hostile words in Chromium, seen by the {who}", "refused cleanly" if ok else "accepted wrongly")
            if who == "reviewer":
                page.screenshot(path=str(SHOTS / "review-hostile-words.png"), full_page=True)
            assert ok, (who, literal, active, tracker.seen, dialogs)
            page.close()
    finally:
        tracker.close()


def test_operator_signs_in_through_an_oidc_provider(studio_stack, browser, tmp_path):
    """Streamlit's st.login against a real OIDC provider on 127.0.0.1: a listed address becomes
    an operator; any other account that the provider vouches for is still refused."""
    from pydantic import SecretStr

    from tests.oidc_provider import OIDCProvider

    with OIDCProvider("studio-portal", "client-secret-for-tests", "ops@example.org") as idp:
        port = free_port()
        portal = studio_stack.portal.model_copy(update={
            "port": port, "public_url": f"http://127.0.0.1:{port}", "oidc_server_metadata_url": idp.metadata_url,
            "oidc_client_id": "studio-portal", "oidc_client_secret": SecretStr("client-secret-for-tests"),
            "oidc_operators": ["ops@example.org"]})
        # its own home, so its pid file never replaces the module portal's (each stops its own)
        settings = studio_stack.model_copy(update={"portal": portal, "home": tmp_path / "oidc-home"})
        services.start_portal(settings)
        try:
            page = _open(browser, portal.public_url)
            page.get_by_role("button", name="Sign in with single sign-on").click()
            page.get_by_text("Signed in as ops@example.org").wait_for(timeout=60_000)
            page.get_by_role("link", name="Productions").wait_for(timeout=30_000)
            assert "code=" not in page.url and "state=" not in page.url
            page.close()

            idp.email = "someone.else@example.org"
            context = browser.new_context()  # a different browser: no cookie from the first sign-in
            page = context.new_page()
            PAGES.append(page)
            page.goto(portal.public_url)
            page.get_by_role("button", name="Sign in with single sign-on").click()
            page.get_by_text("is not an operator of this studio").wait_for(timeout=60_000)
            assert page.get_by_role("link", name="Productions").count() == 0
            context.close()
            secrets_file = Path(settings.home) / "run" / "portal-secrets.toml"
            assert oct(secrets_file.stat().st_mode & 0o777) == "0o600"
        finally:
            services.stop(settings, ("portal",))
