"""The partner space: a separate Streamlit app, behind OIDC sign-in, on ``partenaires.duckdb``."""
