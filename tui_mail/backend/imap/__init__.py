"""IMAP: the session on imapclient, protocol helpers, ESEARCH, search arguments, envelopes, folder roles, IDLE."""
