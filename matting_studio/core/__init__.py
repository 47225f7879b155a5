"""Headless foundation: numpy + stdlib (+ Pillow/OpenCV for pixels). No torch, no Qt."""
