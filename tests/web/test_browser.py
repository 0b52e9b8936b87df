"""End to end in a real headless Chromium (Debian's package, driven by Playwright) against a
real `kith run` process: sign up, post with a content warning, read the feed, visit as a visitor.

JavaScript is disabled in the browser: every page must work without it.
"""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import KithProcess

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """Use the system Chromium, never a downloaded browser; flags for a root, offline sandbox."""
    return {
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(scope="module")
def kith(database_url: str):
    server = KithProcess(["--database-url", database_url]).start()
    yield server
    server.stop()


@pytest.fixture
def no_js_page(browser: Browser):
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_member_journey_without_javascript(kith: KithProcess, no_js_page, browser: Browser, tmp_path: Path):
    page = no_js_page
    base = kith.base_url
    page.goto(base + "/signup")
    page.get_by_label("Username").fill("journey")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="What's on your mind?")).to_be_visible()

    page.get_by_label("Content warning").fill("spoilers")
    page.get_by_label("Post", exact=True).fill("The butler did it #mystery")
    page.get_by_label("Who can see it").select_option("public")
    page.get_by_role("button", name="Post", exact=True).click()
    page.get_by_label("Post", exact=True).fill("A quiet note for followers")
    page.get_by_label("Who can see it").select_option("private")
    page.get_by_role("button", name="Post", exact=True).click()

    statuses = page.locator("article.status")
    expect(statuses).to_have_count(2)
    expect(statuses.first).to_contain_text("A quiet note for followers")  # newest first
    warned = statuses.nth(1)
    expect(warned.locator("summary")).to_have_text("spoilers")
    expect(warned.locator(".content")).to_be_hidden()  # behind the content warning until opened
    warned.locator("summary").click()
    expect(warned.locator(".content")).to_contain_text("The butler did it")
    page.screenshot(path="/tmp/kith-home.png", full_page=True)

    page.get_by_label("Post", exact=True).fill("x" * 501)
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("at most 500 characters")
    expect(statuses).to_have_count(2)

    visitor = browser.new_context(java_script_enabled=False).new_page()
    visitor.set_viewport_size({"width": 320, "height": 640})
    visitor.goto(base + "/@journey")
    expect(visitor.get_by_role("heading", name="journey")).to_be_visible()
    expect(visitor.locator("article.status")).to_have_count(1)
    expect(visitor.locator("article.status")).to_contain_text("spoilers")
    expect(visitor.get_by_text("A quiet note for followers")).to_have_count(0)
    for part in ("header.site", "section.profile", "article.status"):  # nothing spills past a 320 px screen
        box = visitor.locator(part).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, (part, box)
    visitor.context.close()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()
