"""IMAP on imapclient.

``session`` (ImapSession: open = connect + login + ENABLE, capabilities,
folders, SELECT, IDLE), ``messages`` (its UID commands), ``connect`` (TLS and
STARTTLS), ``transport`` (the only user of imapclient/imaplib private names),
``protocol`` (error translation, TLS contexts, response helpers), ``esearch``,
``search_args``, ``envelope``, ``folders`` (roles), ``idle`` (IdleWatcher),
``idle_proof`` (its STATUS/EXAMINE check that IDLE missed nothing), ``idle_probe``
(``tui-mail check``'s test of whether IDLE reports new mail).
"""
