"""X12 in, domain objects out: envelopes, 835 reading and pyx12 5010 validation.

Nothing here imports Textual or the store; see ``.importlinter``.
"""
