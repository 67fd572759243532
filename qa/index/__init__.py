"""Storing chunks and their vectors: the FAISS files, the Milvus store, keeping an index in step with its sources."""
