"""Pandera contracts, one module per source, and the row-level checker that applies them."""
