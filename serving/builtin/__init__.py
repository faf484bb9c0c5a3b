"""Models the appliance creates itself on first start."""
