"""fluorowatch: compliance."""
