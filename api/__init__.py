"""fluorowatch: api."""
