"""Headless (`--no-ui`) runner: the engine with logs on stderr, for servers over SSH."""
