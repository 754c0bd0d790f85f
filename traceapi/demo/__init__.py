"""The demo dataset: a deterministic infusion-set plant with planted stories to ask about."""
