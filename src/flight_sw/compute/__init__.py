"""Compute jobs on stored objects (mission service 129)."""
