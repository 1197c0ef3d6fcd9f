"""Webhook mode: a small aiohttp server in front of the Application.

POST /<path> takes updates from Telegram (checking the secret token header Telegram sends back
to us) and queues them; GET /healthz answers whether the database responds, for a load balancer
or an uptime check. Telegram retries a delivery that does not get a 2xx; the update processor
drops ids already processed, so a retry has no second effect.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web
from telegram import Update

from bot.config import require_webhook_secret
from bot.runtime import Runtime

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def make_web_app(app: Any, runtime: Runtime) -> web.Application:
    require_webhook_secret(runtime.settings)  # never serve the path unauthenticated
    settings = runtime.settings.webhook
    secret = settings.secret_token.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):
            return web.Response(status=403)
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400)
        update = Update.de_json(data, app.bot)
        await app.update_queue.put(update)
        return web.Response(status=200)

    async def health(_request: web.Request) -> web.Response:
        try:
            await runtime.db.fetchone("SELECT 1")
            return web.json_response({"ok": True, "bot": runtime.bot_username})
        except Exception as exc:
            return web.json_response({"ok": False, "error": type(exc).__name__}, status=503)

    web_app = web.Application(client_max_size=2 * 1024 * 1024)
    web_app.router.add_post(f"/{settings.path}", receive)
    web_app.router.add_get("/healthz", health)
    zalo = runtime.channels.get("zalo")
    if zalo is not None:  # the Zalo webhook and its signed photo URLs on the same server
        from bot.channels.zalo.webhook import routes

        web_app.add_routes(routes(zalo))
    return web_app


async def serve_webhook(app: Any, runtime: Runtime) -> web.AppRunner:
    settings = runtime.settings.webhook
    runner = web.AppRunner(make_web_app(app, runtime), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.listen, settings.port).start()
    await app.bot.set_webhook(
        url=settings.url,
        secret_token=settings.secret_token,
        allowed_updates=Update.ALL_TYPES,
    )
    log.info("webhook listening on %s:%s/%s", settings.listen, settings.port, settings.path)
    return runner
