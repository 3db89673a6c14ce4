"""Strategies: pure, deterministic decisions on closed bars, and their registry."""
