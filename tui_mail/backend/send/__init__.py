"""Sending: SMTP delivery, the outbox pipeline, the outbox and drafts on disk."""
