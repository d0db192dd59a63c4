"""fluorowatch: alerts."""
