"""Zalo Bot Platform: the async client, long polling and the webhook route, rendering of
screens as plain text with numbered options, input translation and the conversation port.
See docs/ZALO.md."""
