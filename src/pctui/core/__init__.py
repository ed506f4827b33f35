"""Pure domain: money, codes, 835/837 models and the posting engine. No Textual, no SQL."""
