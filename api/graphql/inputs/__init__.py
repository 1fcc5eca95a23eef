"""GraphQL input types, one per module; each builds its pydantic model from ``schema.inputs``."""
