"""Data files for bot.directory (see build_data.py and README.md)."""
