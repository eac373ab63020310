"""Headless Chromium driven over the DevTools protocol (aiohttp websockets, no extra package)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


class Page:
    """One tab: run JavaScript in it, wait for what it shows, take screenshots."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            future = self._waiting.pop(message.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(message)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        request_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        await self.ws.send_json({"id": request_id, "method": method, "params": params})
        answer = await asyncio.wait_for(future, 30)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, seconds: float = 15) -> Any:
        """Poll ``expression`` until it is truthy; its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if loop.time() > deadline:
                text = await self.evaluate("document.body.innerText")
                raise AssertionError(f"timed out waiting for {expression}; page shows:\n{text}")
            await asyncio.sleep(0.1)

    async def click_button(self, text: str, *, exact: bool = False, seconds: float = 15) -> None:
        """Click the newest visible <button> showing ``text``, as a person would."""
        match = "t === want" if exact else "t.includes(want)"
        script = f"""(() => {{
            const want = {json.dumps(text)};
            const found = [...document.querySelectorAll("button")].filter((b) => {{
                const t = b.textContent.trim();
                return b.offsetParent !== null && !b.disabled && {match};
            }});
            if (!found.length) return false;
            found[found.length - 1].click();
            return true;
        }})()"""
        await self.wait_for(script, seconds)

    async def click(self, selector: str, seconds: float = 15) -> None:
        """Click the first element matching the CSS ``selector`` once there is one."""
        script = f"""(() => {{
            const el = document.querySelector({json.dumps(selector)});
            if (!el) return false;
            el.click();
            return true;
        }})()"""
        await self.wait_for(script, seconds)

    async def type(self, selector: str, text: str) -> None:
        """Put ``text`` into an input as typing does, so the page's input handlers run."""
        script = f"""(() => {{
            const el = document.querySelector({json.dumps(selector)});
            if (!el) return false;
            el.focus();
            el.value = {json.dumps(text)};
            el.dispatchEvent(new Event("input", {{ bubbles: true }}));
            return true;
        }})()"""
        await self.wait_for(script)

    async def submit(self, selector: str) -> None:
        """Submit a form as pressing Enter in it does."""
        await self.wait_for(
            f"(() => {{ const f = document.querySelector({json.dumps(selector)});"
            " if (!f || f.hidden) return false; f.requestSubmit(); return true; })()"
        )

    async def texts(self, selector: str) -> list[str]:
        """The text of every element matching ``selector``, in page order."""
        found = await self.evaluate(
            f"[...document.querySelectorAll({json.dumps(selector)})]"
            ".map((e) => e.textContent.trim())"
        )
        return [str(text) for text in found]

    async def navigate(self, url: str) -> None:
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'")

    async def screenshot(self, path: Path) -> Path:
        shot = await self.send("Page.captureScreenshot", format="png")
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))
        return path

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self.ws.close()


@contextlib.asynccontextmanager
async def chromium(executable: str, http: aiohttp.ClientSession) -> AsyncIterator[Page]:
    """A headless Chromium that can reach loopback only: any other host fails to resolve."""
    # Chromium's helper processes may still write to the profile for a moment after the
    # browser exits; a leftover file there must not fail the test.
    profile = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)
    process = await asyncio.create_subprocess_exec(
        executable,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--no-default-browser-check",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--window-size=1280,900",
        f"--user-data-dir={profile.name}",
        "--remote-debugging-port=0",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    page: Page | None = None
    try:
        port_file = Path(profile.name) / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and port_file.read_text().count("\n") >= 1:
                break
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
            targets = await response.json()
        target = next(t for t in targets if t["type"] == "page")
        ws = await http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        page = Page(ws)
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        yield page
    finally:
        if page is not None:
            await page.close()
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
        profile.cleanup()
