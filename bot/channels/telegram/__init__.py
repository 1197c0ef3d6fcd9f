"""Telegram (python-telegram-bot 22): the application, webhook, request client, rate limits,
rendering, input translation and the Telegram-only extras (inline mode, native quiz polls,
police groups)."""
