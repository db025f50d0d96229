"""Prefect flows and connectors: fetch each source, land it, check it, stage it, publish."""
