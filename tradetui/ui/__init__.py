"""The Textual terminal UI. Talks only to an ``EngineControl`` (commands down, read model up): the
in-process ``EngineHandle`` or, under ``tradetui attach``, a ``RemoteHandle``."""
