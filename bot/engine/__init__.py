"""The channel-neutral conversation engine: typed actions, inputs, the conversation port and
the router. See docs/ARCHITECTURE.md."""
