"""Measuring photos: decoding, metadata, capture time. Knows nothing of claims."""
