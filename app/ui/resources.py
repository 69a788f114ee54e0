"""Re-export of :mod:`app.paths` for the widgets (kept so existing imports work)."""
from app.paths import RESOURCES, leaflet_dir, resource  # noqa: F401
