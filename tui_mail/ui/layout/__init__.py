"""How the main screen lays out its panes: three-pane, wide, list (a pager) or auto.

``panes.py`` applies a layout and the remembered pane sizes to the screen (CSS
classes and inline sizes only: no widget is rebuilt, so the cursor and the open
message survive a change); ``divider.py`` is the line between two panes that a
mouse drags; ``sizes.py`` remembers the sizes in the state directory.
"""
