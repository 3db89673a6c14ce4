"""Technical indicators: vectorised numpy functions and streaming (O(1) per bar) twins."""
