"""Execution: the order manager (intent log, identifiers, order state machine)."""
