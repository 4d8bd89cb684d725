"""The identity graph: identities, their identifiers, profiles, devices and claims."""
