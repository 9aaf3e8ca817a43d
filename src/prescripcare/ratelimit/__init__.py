"""Request rate limits kept in Redis, shared by every API replica."""
