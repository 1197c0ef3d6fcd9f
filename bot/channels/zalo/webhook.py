"""The Zalo webhook: aiohttp routes any web server of the bot can mount.

Zalo POSTs each update with the header `X-Bot-Api-Secret-Token` (the secret given to
setWebhook); there is no body signature, so the secret is compared in constant time and a
delivery without it is refused (403) before the body is read. The body is the documented
wrapped form `{"ok": true, "result": {...}}` or the bare update reported from live deliveries
[?]: both are accepted. The answer is sent as soon as the update is stored (a few
milliseconds, far below Zalo's 2-second limit); handling runs afterwards, in order per chat,
and a second delivery of the same event + message id is stored nowhere and handled never.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.media import ROUTE as MEDIA_ROUTE

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_BODY = 256 * 1024  # an update is a few hundred bytes; photos come as URLs


def routes(channel: ZaloChannel) -> list[web.RouteDef]:
    settings = channel.runtime.settings.zalo
    expected = settings.webhook_secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        # An unset secret refuses everything: webhook mode requires one (bot.config).
        if not expected or not hmac.compare_digest(given, expected):
            return web.json_response({"ok": False}, status=403)
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"ok": False}, status=413)
        try:
            raw = await request.content.read(MAX_BODY + 1)
            if len(raw) > MAX_BODY:
                return web.json_response({"ok": False}, status=413)
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"ok": False}, status=400)
        await channel.submit(body)  # stored (or recognised as a duplicate): answer now
        return web.json_response({"ok": True})

    return [
        web.post("/" + settings.webhook_path.strip("/"), receive),
        web.get(MEDIA_ROUTE, channel.media.serve),
    ]


def media_routes(channel: ZaloChannel) -> list[web.RouteDef]:
    return [web.get(MEDIA_ROUTE, channel.media.serve)]


def make_app(channel: ZaloChannel, *, webhook: bool = True) -> web.Application:
    """A small aiohttp app with the Zalo routes, for deployments (and tests) without the web
    channel's server."""
    app = web.Application(client_max_size=MAX_BODY)
    app.add_routes(routes(channel) if webhook else media_routes(channel))
    return app
