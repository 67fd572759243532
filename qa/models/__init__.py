"""The models: the embedders, the generators, the span reader's runtime, and where each is installed."""
