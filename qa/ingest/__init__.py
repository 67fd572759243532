"""Loading documents: file formats, normalized text and titles, chunks."""
