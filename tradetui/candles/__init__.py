"""Candles: the columnar series, batch and streaming resampling side by side, the synthetic market.

Right above ``core``: imports only ``core``, numpy and the standard library (and the error tree).
"""
