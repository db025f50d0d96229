"""The command line, on top of every layer: nothing in flows, warehouse or dashboard imports it."""
