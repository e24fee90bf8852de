"""Spatial and space-time analysis (placeholder; re-exports added below)."""
from .knox import KnoxTest
