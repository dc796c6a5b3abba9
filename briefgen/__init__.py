"""briefgen: one structured English source, translated through gettext, published as HTML and PDF."""

__version__ = "0.1.0"
