"""The GraphQL edge: schema, types, resolvers, DataLoaders and abuse limits."""
