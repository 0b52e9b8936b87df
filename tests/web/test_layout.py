"""The member's pages as a phone and a desktop show them (Debian's Chromium, JavaScript off): no
sideways scrolling at 390 px, one <h1> per page, the navigation beside the feed from 1024 px, and
every image (avatars included) an <img> with alt text served from Kith's own origin."""

from urllib.parse import urlsplit

from playwright.async_api import Browser, Page, expect

from tests.conftest import KithProcess, kith_cli
from tests.web.test_browser import browser, kith  # noqa: F401  (fixtures)

PAGES = ["/", "/compose", "/local", "/public", "/directory", "/catch-up", "/bookmarks", "/favourites",
         "/follow_requests", "/mutes", "/lists", "/conversations",
         "/blocks", "/@friend/followers", "/notifications", "/notifications/requests", "/search", "/@layout",
         "/@friend", "/settings/profile",
         "/settings/filters", "/settings/preferences", "/settings/password", "/settings/sessions", "/settings/otp",
         "/settings/export", "/settings/import", "/settings/delete",
         "/settings/aliases", "/settings/migration", "/about", "/announcements"]
ADMIN_PAGES = ["/admin", "/admin/reports", "/admin/accounts", "/admin/applications", "/admin/appeals",
               "/admin/content-rules", "/admin/domains", "/admin/rules", "/admin/settings", "/admin/custom-emojis",
               "/admin/federation", "/admin/announcements"]


async def sign_up(browser: Browser, base: str, name: str, width: int) -> Page:  # noqa: F811
    context = await browser.new_context(java_script_enabled=False, viewport={"width": width, "height": 844})
    page = await context.new_page()
    await page.goto(base + "/signup")
    await page.get_by_label("Username").fill(name)
    await page.get_by_label("Password").fill("a long password")
    await page.get_by_role("button", name="Sign up").click()
    return page


async def check_page(page: Page, base: str, path: str, width: int) -> None:
    await page.goto(base + path)
    where = f"{path} at {width} px"
    assert await page.evaluate("document.documentElement.scrollWidth") <= width, f"{where} scrolls sideways"
    await expect(page.locator("h1"), where).to_have_count(1)
    host = urlsplit(base).netloc
    for image in await page.locator("img").all():
        src = await image.get_attribute("src")
        assert src and (src.startswith("/") and not src.startswith("//") or urlsplit(src).netloc == host), (where, src)
        assert await image.get_attribute("alt"), (where, src)
        assert await image.evaluate("i => i.complete && i.naturalWidth > 0"), (where, src, "did not load")


async def test_pages_fit_a_phone_and_a_desktop(kith: KithProcess, browser: Browser):  # noqa: F811
    base = kith.base_url
    friend = await sign_up(browser, base, "friend", 1280)
    await friend.get_by_label("Post", exact=True).fill("Hello from a friend, with a long unbroken word: " + "x" * 80)
    await friend.get_by_role("button", name="Post", exact=True).click()
    database = kith.args[kith.args.index("--database-url") + 1]
    for width in (390, 1280):
        name = "layout" if width == 390 else "wide"
        page = await sign_up(browser, base, name, width)
        made = kith_cli("user", "role", name, "admin", "--database-url", database)
        assert made.returncode == 0, made.stderr
        await page.goto(base + "/@friend")
        await page.get_by_role("button", name="Follow").click()
        own = "/@layout" if width == 390 else "/@wide"
        await page.goto(base + "/")
        thread = await page.locator("a.time").first.get_attribute("href")
        for path in [p if p != "/@layout" else own for p in PAGES] + [thread] + ADMIN_PAGES:
            await check_page(page, base, path, width)
        avatars = page.locator("article.status img.avatar")
        await page.goto(base + "/")
        await expect(avatars.first).to_have_attribute("alt", "Avatar of friend")
        nav = await page.get_by_role("navigation", name="Main").bounding_box()
        feed = await page.locator("section.feed").bounding_box()
        assert nav and feed
        if width == 1280:
            assert nav["x"] + nav["width"] <= feed["x"], "the navigation is a column beside the feed"
        else:
            assert nav["y"] + nav["height"] <= feed["y"], "the navigation is a bar above the feed"
            # on a phone the feed comes first: compose is a button away, not the first screen
            await expect(page.locator("section.compose")).to_be_hidden()
            await page.get_by_role("link", name="New post").click()
            await expect(page.get_by_role("heading", name="New post", level=1)).to_be_visible()
        await page.context.close()


async def test_characters_left_count_live_with_javascript(kith: KithProcess, browser: Browser):  # noqa: F811
    """The one optional script, allowed by the page's own Content-Security-Policy (not bypassed)."""
    base = kith.base_url
    page = await sign_up(browser, base, "counter", 1280)
    await page.goto(base + "/compose")
    await expect(page.locator("#content-hint")).to_contain_text("Up to 500 characters")  # JavaScript off
    context = await browser.new_context(java_script_enabled=True, storage_state=await page.context.storage_state())
    live = await context.new_page()
    errors = []
    live.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    await live.goto(base + "/compose")
    await live.get_by_label("Post", exact=True).fill("hello ✨")
    await expect(live.locator("#content-hint")).to_have_text("493 of 500 characters left.")
    await live.get_by_label("Post", exact=True).fill("x" * 502)
    await expect(live.locator("#content-hint")).to_have_text("2 characters too many: shorten it to post.")
    assert not errors, errors  # nothing refused by the Content-Security-Policy
    await context.close()
    await page.context.close()
