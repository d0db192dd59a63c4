"""fluorowatch: detectors."""
