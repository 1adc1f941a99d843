"""Analytical LLM-serving performance model behind :mod:`optimizer.frontiers.generator`."""
