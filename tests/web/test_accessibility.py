"""axe-core (npm, installed by tests/run.sh) run in Debian's Chromium on every page a member or a
visitor sees, at 1280 and 390 px: no serious or critical violation (WCAG 2 A and AA rules)."""

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from tests.conftest import KithProcess, kith_cli
from tests.web.test_browser import browser, kith  # noqa: F401  (fixtures)

AXE = Path(__file__).resolve().parents[1] / ".cache" / "node_modules" / "axe-core" / "axe.min.js"
MEMBER_PAGES = ["/", "/compose", "/local", "/public", "/directory", "/catch-up", "/notifications",
                "/notifications/requests", "/search?q=nobody",
                "/bookmarks", "/favourites", "/lists", "/conversations", "/follow_requests", "/mutes", "/blocks",
                "/settings/profile", "/settings/filters", "/settings/apps", "/settings/preferences",
                "/settings/password", "/settings/sessions", "/settings/otp", "/settings/export",
                "/settings/import", "/settings/delete", "/settings/aliases",
                "/settings/migration", "/@axe",
                "/@axe/followers", "/@neighbour", "/notifications?types=staff",
                "/admin", "/admin/reports", "/admin/accounts", "/admin/applications", "/admin/appeals",
                "/admin/content-rules", "/admin/domains", "/admin/rules", "/admin/settings",
                "/admin/custom-emojis", "/admin/federation", "/admin/announcements", "/announcements",
                "/privacy-policy"]
VISITOR_PAGES = ["/", "/local", "/directory", "/about", "/login", "/signup", "/password/reset", "/privacy-policy",
                 "/@neighbour"]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing at {AXE}: run `bash tests/run.sh` (it installs it from npm)")
    return AXE.read_text()


async def violations(page: Page, axe: str) -> list[str]:
    found = await page.evaluate(
        axe + "\n;axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
              ".then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))"
              ".map(v => v.id + ': ' + v.help + ' -> '"
              "     + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')))")
    return list(found)


async def new_page(browser: Browser, width: int, state=None) -> Page:  # noqa: F811
    # JavaScript on for axe itself (its checks run on timers); the pages' own is an optional counter.
    context = await browser.new_context(java_script_enabled=True, bypass_csp=True, storage_state=state,
                                        viewport={"width": width, "height": 900})
    return await context.new_page()


async def test_no_serious_accessibility_violations(kith: KithProcess, browser: Browser, axe_source: str):  # noqa: F811
    base = kith.base_url
    setup = await new_page(browser, 1280)
    for name in ("neighbour", "axe"):
        await setup.context.clear_cookies()
        await setup.goto(base + "/signup")
        await setup.get_by_label("Username").fill(name)
        await setup.get_by_label("Password").fill("a long password")
        await setup.get_by_role("button", name="Sign up").click()
        await setup.get_by_label("Post", exact=True).fill(f"Hello from {name}, #accessible and well.")
        await setup.get_by_role("button", name="Post", exact=True).click()
    await setup.goto(base + "/@neighbour")
    await setup.get_by_role("button", name="Follow").click()
    made = kith_cli("user", "role", "axe", "admin", "--database-url", kith.args[kith.args.index("--database-url") + 1])
    assert made.returncode == 0, made.stderr  # staff pages are checked too
    await setup.goto(base + "/admin/announcements")  # home shows it, with its reactions and Dismiss
    await setup.get_by_label("Text").fill("The garden opens on Saturday, https://garden.example #garden")
    await setup.get_by_role("button", name="Save").click()
    state = await setup.context.storage_state()
    await setup.goto(base + "/")
    thread = await setup.locator("a.time").first.get_attribute("href")
    await setup.context.close()

    problems = []
    for width in (1280, 390):
        member = await new_page(browser, width, state)
        for path in MEMBER_PAGES + [thread]:
            await member.goto(base + path)
            problems += [f"{path} @{width} (member): {v}" for v in await violations(member, axe_source)]
        await member.context.close()
        visitor = await new_page(browser, width)
        for path in VISITOR_PAGES + [thread]:
            await visitor.goto(base + path)
            problems += [f"{path} @{width} (visitor): {v}" for v in await violations(visitor, axe_source)]
        await visitor.context.close()
    assert not problems, "\n".join(problems)
