"""The payload's mass memory: an ECC-protected, scrubbed object store (docs/storage.md)."""
