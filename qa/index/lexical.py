"""The BM25 corpus of an index: the terms of each chunk with its document's title (the retriever searches
them, the Milvus store keeps them)."""
from __future__ import annotations

from qa.ingest.chunking import embedding_input
from qa.ingest.documents import title_of
from qa.text.analyzer import Analyzer


def lexical_corpus(chunks: list, texts: dict[str, str], analyzer: Analyzer) -> list[list[str]]:
    """The terms BM25 indexes for each chunk: its text with its document's title, as `analyzer` reads them.

    >>> from qa.ingest.chunking import Chunk
    >>> text = "Robots\\n\\nThey cheer."
    >>> lexical_corpus([Chunk("c1", "d.txt", 8, 19, "They cheer.")], {"d.txt": text}, Analyzer())
    [['robot', 'cheer']]
    """
    titles = {doc_id: title_of(doc_id, text) for doc_id, text in texts.items()}
    return [analyzer.terms(embedding_input(c, titles[c.source])) for c in chunks]
