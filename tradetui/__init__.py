"""tradetui: a terminal trading bot for the KRW markets of Upbit and Bithumb."""

__version__ = "0.1.0"
