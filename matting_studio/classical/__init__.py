"""classical layer."""
