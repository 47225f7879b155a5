"""Matting Studio: learned and classical image matting, background swap, training.

Importing this package is cheap: no torch, no Qt, no weights.
"""

__version__ = "0.1.0"
