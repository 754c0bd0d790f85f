"""Loaders: source formats (GS1 EPCIS, CSV bundles) turned into validated batches for the store."""
