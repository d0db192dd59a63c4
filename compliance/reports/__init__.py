"""The calculated-leakage reports (REGULATION.md (g5), (l4), (l5)) and Kyoto's HFC report ((m)), one module per
output. Pure: each takes the data and returns the file's content."""
