"""The web channel: the same conversations as in the messengers, as server-rendered pages that
work without JavaScript (Tor Browser at "safest"), an officer console on the tip services, and
the demo playground. aiohttp, served by the bot's own process. See docs/WEB.md."""
