"""Deterministic demo datasets, generated on real territories where no public file exists."""
