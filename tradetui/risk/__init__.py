"""Risk: sizing, engine-side exits, account limits and the engine's risk state (imports only core)."""
