"""The GraphStore contract, run against every backend through the ``store`` fixture."""
