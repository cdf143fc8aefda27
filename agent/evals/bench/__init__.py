"""``mockint bench``: the runner, its sections, measuring helpers and the fakes it drives."""
