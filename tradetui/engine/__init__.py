"""The engine: one class that runs backtests, paper and live trading with the same decision code."""
