"""Entry point for `textual run --dev pctui.ui.dev:app` (uses PCTUI_DB or the default database)."""

from pctui.store.db import Store
from pctui.ui.app import PctuiApp

app = PctuiApp(store=Store.open())
