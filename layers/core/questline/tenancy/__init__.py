"""Tenancy: entities (tenants), their API keys, and the operator's bootstrap."""
