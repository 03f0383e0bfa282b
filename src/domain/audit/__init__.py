"""Audit: a tamper-evident hash chain over the stored event records, its verification,
replay of a plan as it stood at a moment, and self-contained exports for auditors.

The chain is written by the store's own recorders (`api.store.chain`, a storage adapter, so
kept out of the pure domain), in the same transaction as the events, over the bytes actually
stored: what a field-encrypting mapper writes is what is hashed, so deleting keys (erasure)
leaves the chain intact.
"""
