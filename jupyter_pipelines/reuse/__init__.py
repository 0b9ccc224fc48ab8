"""Reuse: snapshots of step source folders, content hashes and step fingerprints."""
