"""Fault-injection campaigns: scenario files, trials in parallel processes, outcome
classification, Wilson intervals and reports (``hil campaign FILE``, docs/campaigns.md)."""
