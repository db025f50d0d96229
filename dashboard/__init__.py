"""Public Streamlit dashboard: reads ``public.duckdb`` read-only, never anything else."""
