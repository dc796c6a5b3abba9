"""Preloaded by the PDF workers' forkserver: WeasyPrint is imported once there, and every worker
forked from it starts with the import done. Importing must not initialise Pango or fontconfig
(FontConfiguration does that, in each worker after the fork)."""
import gc

gc.disable()  # nothing collectable is made while importing

import weasyprint  # noqa: E402,F401
import weasyprint.text.fonts  # noqa: E402,F401

from . import pdf  # noqa: E402,F401

# The imported modules live as long as the workers: keep them out of every later collection
# (and their memory pages shared with the workers, since collections no longer touch them).
gc.freeze()
gc.enable()
