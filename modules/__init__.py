"""Model code: pure computation over tensors. Reads nothing but its own checkpoint, never prints."""
