"""The console at /console: auditors and privacy officers read plans through time, the chain, the
processing log, the break-the-glass queue, erasures and retention, and the policies, in Dutch.

A presentation layer only: every page calls the services the JSON routes call (the plan reader
with its filter, the audit, the processing log, the review queue), under the same processing-log
route class, for the same `Actor` the API builds from a token. Sign-in is the organisation's
OpenID Connect provider (`oidc`), or the development key in development mode (`signin`); the
session is an authenticated-encrypted cookie (`session`), so any API worker can read it.
"""
