"""GraphQL output types, one per module; resolvers receive the service's read models."""
