"""Simulator benchmark: how fast a 90-day, 60 s backfill of one unit reaches the replay CSV format."""
