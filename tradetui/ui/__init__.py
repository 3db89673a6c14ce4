"""The Textual terminal UI. Talks only to ``EngineHandle`` (commands down, read model up)."""
