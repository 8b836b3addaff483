"""Compute the exploratory data analysis of the warehouse and cache it under the warehouse snapshot."""

from __future__ import annotations

from app.eda.service import compute


def run(progress) -> dict:
    """Summarise the warehouse as it is now; return its snapshot id and case count."""
    return compute(progress)
