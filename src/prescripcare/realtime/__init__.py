"""Live reminder status: events on a Redis Stream, followed by subscribers on
every API replica."""
