"""OAuth2 sign-in: flows, the refresh-token store, access tokens under one lock, SASL.

Layered below ``imap`` and ``send`` (they log in with :mod:`.sasl`) and above
``api``; nothing here knows IMAP or SMTP. No token, secret or authorization
code is ever put in a log line, an exception message or a ``repr``.
"""
