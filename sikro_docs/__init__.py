"""sikro-docs: the paperwork of a regency licensing office, from application to archive."""

__version__ = "0.1.0"
