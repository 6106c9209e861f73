"""Sereno: an accountable real-time crime center platform (AGPL-3.0-or-later)."""

__version__ = "0.1.0"
