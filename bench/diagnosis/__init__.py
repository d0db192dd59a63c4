"""Daily-diagnosis benchmark: `python -m bench.diagnosis [--circuits N]` (REGULATION.md (p) ロ at fleet scale)."""
