"""Dashboard widgets, one per module. Parents set their ``data`` (attributes down)."""
