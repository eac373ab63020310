"""Delivery of updates to the bot's webhook, in order, retried until the bot accepts them."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp

from bot.localapi.api import Context, Params, Upload, call
from bot.localapi.errors import ApiError
from bot.localapi.state import Webhook, now

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def read_multipart(
    reader: aiohttp.MultipartReader | aiohttp.multipart.MultipartResponseWrapper,
) -> Params:
    """Fields and files of a multipart/form-data body."""
    values: dict[str, Any] = {}
    uploads: dict[str, Upload] = {}
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
            continue
        if part.filename is not None:
            uploads[part.name] = Upload(
                filename=part.filename,
                content_type=part.headers.get("Content-Type", "application/octet-stream"),
                content=bytes(await part.read(decode=True)),
            )
        else:
            values[part.name] = await part.text()
    return Params(values, uploads)


class WebhookDelivery:
    """Posts pending updates one at a time to the webhook while one is set.

    An update leaves the queue only when the webhook answers 2xx; otherwise the error is kept
    for getWebhookInfo and the same update is retried after a growing pause.
    """

    def __init__(self, context: Context, retry_delay: float) -> None:
        self.context = context
        self.retry_delay = retry_delay

    async def run(self) -> None:
        state = self.context.state
        failures = 0
        while not state.closing:
            hook = state.webhook
            if hook is None or not state.updates:
                await state.updates_changed.wait(5.0)
                continue
            update = state.updates[0]
            error = await self._deliver(hook, update)
            if state.webhook is not hook:
                continue
            if error is None:
                failures = 0
                state.updates = [u for u in state.updates if u is not update]
                continue
            failures += 1
            hook.last_error_date = now()
            hook.last_error_message = error
            log.info("webhook delivery failed (%s), retrying", error)
            await asyncio.sleep(min(self.retry_delay * 2 ** min(failures - 1, 10), 30.0))

    async def _deliver(self, hook: Webhook, update: dict[str, Any]) -> str | None:
        """POST one update; None when the bot accepted it, else the reason for getWebhookInfo."""
        http = self.context.http
        assert http is not None
        headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
        try:
            async with http.post(
                hook.url,
                json=update,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=60),
            ) as response:
                if not 200 <= response.status < 300:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
                await self._reply_method(response)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return f"Connection failed: {exc.__class__.__name__}"
        return None

    async def _reply_method(self, response: aiohttp.ClientResponse) -> None:
        """Run a method the bot put in its webhook answer, as Telegram allows."""
        content_type = response.headers.get("Content-Type", "")
        params: Params | None = None
        if content_type.startswith("multipart/"):
            params = await read_multipart(aiohttp.MultipartReader.from_response(response))
        elif content_type.startswith("application/json"):
            try:
                body = json.loads(await response.read() or b"null")
            except ValueError:
                return
            if isinstance(body, dict):
                params = Params(body)
        if params is None or not isinstance(params.values.get("method"), str):
            return
        try:
            await call(self.context, params.values["method"], params)
        except ApiError as exc:
            # Telegram gives the bot no way to learn of this error either.
            log.info("method from webhook reply failed: %s", exc.description)
