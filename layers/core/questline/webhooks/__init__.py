"""Webhooks: activity items fanned out per matching hook (stream side), signed deliveries (queue side)."""
