"""Domain core: value types, markets, orders, events, clock, ports and dated exchange rules.

Imports only the standard library (enforced by the import-direction test)."""
