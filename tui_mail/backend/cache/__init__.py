"""The per-account SQLite cache: store, schema, bodies and full-text index, views, search views."""
