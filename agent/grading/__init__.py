"""Graders: the rubric shared by both engines and the deterministic offline grader."""
