"""Events: definitions (HeyMint), logs from every surface, and the ingestion pipeline."""
