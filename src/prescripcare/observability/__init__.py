"""Metrics, logs and error reporting: what an operator watches and is paged by."""
