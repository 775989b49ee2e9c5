"""Optimization for deep learning: the book's computational library."""
