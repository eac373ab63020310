"""A person uses the web chat in headless Chromium: share their contact, open a list, page it,
press the shop button; a screenshot is kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.browser import chromium, find_browser
from tests.e2e.conftest import OLENA, World

BROWSER = find_browser()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        BROWSER is None,
        reason="no Chromium installed (apt-get install chromium); .ci/run installs it",
    ),
]
SCREENSHOT_DIR = os.environ.get("E2E_SCREENSHOT_DIR")


@pytest.mark.parametrize("world", ["polling"], indirect=True)
async def test_person_shares_contact_opens_and_pages_a_list(world: World, tmp_path: Path) -> None:
    assert BROWSER is not None
    async with chromium(BROWSER, world.http) as page:
        await page.navigate(f"{world.server.chat_url}?user={OLENA}")
        await page.wait_for("document.querySelector('.user[aria-current=true]') !== null")
        await page.click_button("Start", exact=True)
        await page.wait_for("document.body.innerText.includes('Вітаю, Olena!')")

        await page.click_button("Поділитися номером телефону")
        await page.wait_for("document.body.innerText.includes('Дякую, Olena!')")
        assert await page.evaluate("document.querySelector('.contact-name') !== null")

        await page.click_button("Популярне зараз")
        total = await page.wait_for(
            """(() => {
                const pages = [...document.querySelectorAll('.inline-button')]
                    .map((b) => b.textContent.trim()).filter((t) => /^1\\/\\d+$/.test(t));
                return pages.length ? Number(pages[0].split('/')[1]) : 0;
            })()"""
        )
        assert total >= 3
        await page.click_button("▶", exact=True)
        await page.wait_for(
            f"[...document.querySelectorAll('.inline-button')]"
            f".some((b) => b.textContent.trim() === '2/{total}')"
        )
        # The photo host cannot be reached from here: the card shows a neat placeholder.
        await page.wait_for(
            "document.querySelector('.photo-missing') !== null || "
            "[...document.querySelectorAll('img.photo')].some((i) => i.complete)"
        )

        # A URL button opens the shop in a new tab; record it rather than leave loopback.
        await page.evaluate(
            "window.__opened = [];"
            "window.open = (url) => { window.__opened.push(url); return null; }"
        )
        await page.click_button("Відкрити в магазині")
        opened = await page.wait_for("window.__opened.length && window.__opened[0]")
        assert opened.startswith("https://dmostoregpt.netlify.app/product/")
        assert "utm_source=telegram" in opened

        target = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path
        shot = await page.screenshot(target / "webchat.png")
        assert shot.read_bytes().startswith(b"\x89PNG")
        assert shot.stat().st_size > 10_000
