"""fluorowatch: edge_agent."""
