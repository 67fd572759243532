"""Finding passages for a question, and the sentences of them the answer reads."""
