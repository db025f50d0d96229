"""DuckDB layers: landing files, the internal warehouse (staging, marts, audit, quarantine), publish."""
