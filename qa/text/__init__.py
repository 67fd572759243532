"""Text rules and language data: sentences, words, names, figures, Korean."""
