"""fluorowatch: storage."""
