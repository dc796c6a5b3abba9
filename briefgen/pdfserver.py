"""Preloaded by the PDF workers' forkserver: WeasyPrint is imported once there, and every worker
forked from it starts with the import done. Importing must not initialise Pango or fontconfig
(FontConfiguration does that, in each worker after the fork)."""
import weasyprint  # noqa: F401
import weasyprint.text.fonts  # noqa: F401

from . import pdf  # noqa: F401
