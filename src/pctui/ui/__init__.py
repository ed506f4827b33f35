"""Textual interface: the app, one screen module per section, reusable widgets."""
