"""nnstudio's NumPy training engine. It imports no Qt module."""
