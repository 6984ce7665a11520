"""POP3 (issue 16): a session on poplib, the server's listing, and the fetch into the local store.

``session`` connects and logs in under IMAP's TLS rules, ``protocol`` bounds
every read, ``listing`` turns LIST/UIDL into keys to dedupe by, ``fetcher``
downloads new mail into a :class:`~tui_mail.backend.pop3.fetcher.MailStore`
(implemented over the SQLite cache by ``backend/cache/pop3_ledger.py``; this
package knows neither the cache nor IMAP).
"""
