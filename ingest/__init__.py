"""fluorowatch: ingest."""
