"""The channels people reach the bot through. Each translates its native events into
`bot.engine.inputs` and renders `bot.screens.Screen`s its own way; the conversations in
`handlers/` never see a channel."""
