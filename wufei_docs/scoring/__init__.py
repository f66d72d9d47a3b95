"""Scoring: the rubric as data (rubrics/*.yaml), its named rules, and the one pure score function."""
