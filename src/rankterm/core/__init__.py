"""The domain in one place: records, errors, limits, wire shapes and the small pure helpers
every layer uses.

Nothing here imports another rankterm package, Textual or the server's dependencies.
"""
