"""The GraphQL face of PrescripCare: schema, context, loaders, errors."""
