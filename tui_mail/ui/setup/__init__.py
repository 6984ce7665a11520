"""The setup screen's parts: server fields, dialogs, live test, steps, and SetupApp."""
