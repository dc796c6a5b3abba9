"""Imported once by the process the PDF workers are forked from (the zygote of `build`, the
forkserver of `serve`), so every worker starts with WeasyPrint loaded. Nothing here may initialise
Pango or fontconfig: FontConfiguration does that, in each worker after the fork."""
import gc

gc.disable()  # nothing collectable is made while importing

import email.policy  # noqa: E402,F401  (WeasyPrint imports it on its first fetched resource)

from .pdf import import_weasyprint  # noqa: E402

import_weasyprint()

import weasyprint  # noqa: E402,F401
import weasyprint.text.fonts  # noqa: E402,F401
from weasyprint.text.ffi import ffi  # noqa: E402

from . import pdf  # noqa: E402,F401

# cffi parses each C type named in ffi.new()/cast() with pycparser the first time a process meets
# it (about 2 ms each); these are the ones every render uses. Parsing is pure Python, safe here.
for _type in ("FcChar8 **", "PangoFcFontMap *", "PangoLogAttr[]", "PangoRectangle *", "char[4]", "char[]",
              "hb_tag_t[100]", "unsigned int *"):
    try:
        ffi.typeof(_type)
    except Exception:  # a WeasyPrint that no longer uses this type
        pass

# The imported modules live as long as the workers: keep them out of every later collection
# (and their memory pages shared with the workers, since collections no longer touch them).
gc.freeze()
gc.enable()
