"""Fault injection below the EDAC layer (mission service 131), for the bench only."""
