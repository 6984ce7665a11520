"""Accounts whose folders live only in their cache file: POP3 (issue 16).

``worker`` is the account's thread (the same shape as ``account.worker``),
``handlers`` what each command does on the local store.
"""
