"""Command implementations behind ``cli.py`` (part of the composition root: they may import anything)."""
