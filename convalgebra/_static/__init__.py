"""Floor 1: static arithmetic decided before tracing (shapes, polyphase plans, dtype rules)."""
