"""fluorowatch: continuous refrigerant-leak monitoring and Fluorocarbon Emissions Control Act compliance."""

__version__ = "0.1.0"
