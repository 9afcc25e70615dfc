"""Near-duplicate stacks: the same shot and its edited copies, and bursts of similar shots.

``fingerprint`` turns a decoded photo into a small cached signature, ``stacks``
decides which candidate pairs (found by embedding cosine) are copies or burst
frames and groups them, and ``keeper`` picks the photo of a stack to keep.
"""
