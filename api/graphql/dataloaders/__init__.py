"""Per-request DataLoaders: every relation of the GraphQL types is fetched through one."""
