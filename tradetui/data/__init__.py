"""Candle data: CSV/JSON import, the candle store, fetching and quality checks."""
