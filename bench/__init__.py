"""The tui-mail benchmark (issue #8): run it with ``bench/run``; see bench/README.md."""
