"""Exchange adapters: Upbit and Bithumb (API 2.0) REST clients, auth, rate limits and wire parsing.

Importing this package loads nothing heavy; import the module you need
(``tradetui.exchanges.rest``, ``.profiles``, ``.auth``, ``.errors``, ``.ratelimit``, ``.parse``).
"""
