"""Synthetic demo data: the generator of the four demo sources and their built-in source profiles."""

from ml.synthetic.profiles import BUILTIN_PROFILES

__all__ = ["BUILTIN_PROFILES"]
