"""Offline fitting of what the codec loads from weights/. Never imported by encode or decode."""
