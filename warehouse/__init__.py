"""DuckDB layers: landing, internal warehouse (staging, marts, audit, quarantine), publish."""
