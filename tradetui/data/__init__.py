"""Candle data: CSV/JSON import, quality checks, resampling and a synthetic market generator."""
