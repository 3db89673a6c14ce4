"""Where orders are filled: the rules every venue checks an order against (``order_rules``)."""
