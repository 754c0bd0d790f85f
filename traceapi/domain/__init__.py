"""Pure domain: pydantic models, enums, identifiers and rules, with no I/O."""
