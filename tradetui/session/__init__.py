"""How a session is built: one :class:`~tradetui.session.spec.SessionSpec` per config, taken by
every mode (demo, replay, paper, live, the CLI and the TUI backtest)."""
