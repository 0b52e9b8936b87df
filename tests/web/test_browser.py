"""End to end in a real headless Chromium (Debian's package, driven by Playwright) against a
real `kith run` process: sign up, post with a content warning, read the feed, visit as a visitor.

JavaScript is disabled in the browser: every page must work without it.
"""

import shutil
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from tests.conftest import KithProcess

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="session")
async def browser():
    """The system Chromium, never a downloaded browser; flags for a root, offline sandbox.

    Playwright's async API shares pytest's event loop, so browser tests mix with the rest.
    """
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        await browser.close()


@pytest.fixture(scope="module")
def kith(database_url: str):
    server = KithProcess(["--database-url", database_url]).start()
    yield server
    server.stop()


@pytest.fixture
async def no_js_page(browser: Browser):
    context = await browser.new_context(java_script_enabled=False)
    yield await context.new_page()
    await context.close()


async def test_member_journey_without_javascript(kith: KithProcess, no_js_page, browser: Browser):
    page = no_js_page
    base = kith.base_url
    await page.goto(base + "/signup")
    await page.get_by_label("Username").fill("journey")
    await page.get_by_label("Password").fill("a long password")
    await page.get_by_role("button", name="Sign up").click()
    await expect(page.get_by_role("heading", name="What's on your mind?")).to_be_visible()

    await page.get_by_label("Content warning").fill("spoilers")
    await page.get_by_label("Post", exact=True).fill("The butler did it #mystery")
    await page.get_by_label("Who can see it").select_option("public")
    await page.get_by_role("button", name="Post", exact=True).click()
    await page.get_by_label("Post", exact=True).fill("A quiet note for followers")
    await page.get_by_label("Who can see it").select_option("private")
    await page.get_by_role("button", name="Post", exact=True).click()

    statuses = page.locator("article.status")
    await expect(statuses).to_have_count(2)
    await expect(statuses.first).to_contain_text("A quiet note for followers")  # newest first
    warned = statuses.nth(1)
    await expect(warned.locator("details.cw > summary")).to_have_text("spoilers")
    await expect(warned.locator(".content")).to_be_hidden()  # behind the content warning until opened
    await warned.locator("details.cw > summary").click()
    await expect(warned.locator(".content")).to_contain_text("The butler did it")

    await page.get_by_label("Post", exact=True).fill("x" * 501)
    await page.get_by_role("button", name="Post", exact=True).click()
    await expect(page.get_by_role("alert")).to_contain_text("at most 500 characters")
    await expect(statuses).to_have_count(2)

    visitor_context = await browser.new_context(java_script_enabled=False)
    visitor = await visitor_context.new_page()
    await visitor.set_viewport_size({"width": 320, "height": 640})
    await visitor.goto(base + "/@journey")
    await expect(visitor.get_by_role("heading", name="journey")).to_be_visible()
    await expect(visitor.locator("article.status")).to_have_count(1)
    await expect(visitor.locator("article.status")).to_contain_text("spoilers")
    await expect(visitor.get_by_text("A quiet note for followers")).to_have_count(0)
    for part in ("header.site", "section.profile", "article.status"):  # nothing spills past a 320 px screen
        box = await visitor.locator(part).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, (part, box)
    await visitor_context.close()

    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()
