"""Operator scripts: deploying a samconfig.toml environment, proving a deployed stack, tearing it down."""
