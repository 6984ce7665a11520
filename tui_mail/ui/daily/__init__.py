"""Daily-use actions of the main screen (issue 18): mailing lists, folders, junk, links.

``actions.py`` is the main screen's mixin (the ``action_*`` methods the keymap's
bindings name); the other modules do the work and know no screen.
"""
