"""The interview graph: state, context, nodes, the compiled graph, question selection, sessions (run / resume) and transcripts."""
