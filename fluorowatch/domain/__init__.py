"""fluorowatch: domain."""
