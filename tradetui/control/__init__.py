"""The local control API of a running engine (``tradetui ctl``, ``tradetui attach``).

``server`` serves an :class:`~tradetui.engine.handle.EngineHandle` over HTTP on loopback or a
Unix socket behind a bearer token; ``client`` and ``remote_handle`` talk to it; ``wire`` turns
the read model into JSON and back; ``endpoint`` owns the token file that tells clients where the
server is.
"""
