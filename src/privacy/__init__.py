"""Privacy (AVG): who may see a plan, and what of it.

Every read path goes through `privacy.access.reading_relation` (may the caller
see the plan at all?) and `privacy.views` (what the caller gets to see).
"""
