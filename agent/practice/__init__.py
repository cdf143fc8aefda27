"""Practice outside a full interview: topic drills, FSRS spaced review and the history of scores."""
