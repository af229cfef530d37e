"""Pure transforms of Glyph Foundry: bytes -> text -> chunks -> ids; no I/O, no service clients."""
