"""pctui: payer connections, payer rules and 835 release for medical billing staff."""

__version__ = "0.1.0"
