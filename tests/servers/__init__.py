"""Real servers for the integration tests: a private Dovecot and TLS helpers."""
