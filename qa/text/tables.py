"""Table rows as the documents hold them (`a | b | c`): their cells, the header that labels them, and the
cells a question names.

Example:
    >>> table_cells("Land | $1,949 | $2,185")
    ['Land', '$1,949', '$2,185']
"""
from __future__ import annotations

import re

from qa.text.rules import figures


def table_cells(line: str) -> list[str] | None:
    """The cells of a table row written with "|" between cells; None for a line that is not one.

    >>> table_cells("Total sales | $1,496.5 | $1,202.9")
    ['Total sales', '$1,496.5', '$1,202.9']
    >>> table_cells("A sentence without cells.") is None
    True
    """
    if line.count("|") < 1 or "\n" in line.strip():
        return None
    return [" ".join(cell.split()) for cell in line.split("|")]


def is_data_row(cells: list[str]) -> bool:
    """A row that labels a line and gives figures ("Total sales | $1,496.5 | ..."), not a header."""
    return bool(cells[0]) and any(figures(c) and not re.fullmatch(r"(?:19|20)\d\d", c) for c in cells[1:])


def label_cells(cells: list[str], header: list[str]) -> str:
    """A data row with each cell after its column's header, so that a reader knows which column is which.

    >>> label_cells(["Other", "44.1", "56.7"], ["", "2019", "2018"])
    'Other | 2019: 44.1 | 2018: 56.7'
    """
    out = [cells[0]]
    for i, cell in enumerate(cells[1:], start=1):
        label = header[i] if i < len(header) else ""
        out.append(f"{label}: {cell}" if label and cell else cell)
    return " | ".join(out)


def cell_named(question: str, row: str) -> str | None:
    """The cell of a labelled table row (see `label_cells`) whose column label the question names, when
    exactly one does ("... in 2018?" over "Buildings | 2019: 138,755 | 2018: 129,582" -> "129,582").

    >>> cell_named("What were buildings in 2018?", "Buildings | 2019: 138,755 | 2018: 129,582")
    '129,582'
    >>> cell_named("What was the change from 2018 to 2019?", "Buildings | 2019: 138,755 | 2018: 129,582") is None
    True
    >>> cell_named("What was the total gross emissions for FY18?", "Total | FY19**: 87,128 | FY18**: 98,725")
    '98,725'
    """
    named = cells_named(question, row)
    return named[0][2] if len(named) == 1 else None


def cells_named(question: str, row: str) -> list[tuple[int, int, str]]:
    """The cells of a labelled table row whose column labels the question names: (where the question names
    it, where that name ends, the cell), in the order the question names them.

    >>> cells_named("What were buildings in 2018 and 2019?", "Buildings | 2019: 138,755 | 2018: 129,582")
    [(23, 27, '129,582'), (32, 36, '138,755')]
    """
    named = []
    for label, value in labelled_cells(row):
        label = label.strip(" *")
        if not label:
            continue
        m = re.search(rf"(?<![\w.]){re.escape(label)}(?![\w.])", question, re.IGNORECASE)
        if m:
            named.append((m.start(), m.end(), value))
    return sorted(named)


def labelled_cells(row: str) -> list[tuple[str, str]]:
    """The (column label, value) of each cell after the first of a labelled table row (see `label_cells`); a
    cell without a label has label ""; [] for a line that is not a table row.

    >>> labelled_cells("Buildings | 2019: 138,755 | 2018: 129,582 | 4.1%")
    [('2019', '138,755'), ('2018', '129,582'), ('', '4.1%')]
    """
    cells = table_cells(row)
    out = []
    for cell in (cells or [])[1:]:
        label, sep, value = cell.partition(": ")
        out.append((label.strip(), value.strip()) if sep else ("", cell.strip()))
    return out


_LISTING_GAP = re.compile(r"\s*(?:,\s*(?:and\s+)?|and\s+|&\s*)", re.IGNORECASE)


def cells_listed(question: str, row: str) -> list[str]:
    """The cells of a labelled table row for a question that lists two or more of its columns ("in 2018 and
    2019 respectively", "in 2019, 2018 and 2017"), in the question's order; [] for any other question, a
    comparison ("from 2018 to 2019") included.

    >>> row = "Buildings | 2019: 138,755 | 2018: 129,582"
    >>> cells_listed("What were buildings in 2018 and 2019 respectively?", row)
    ['129,582', '138,755']
    >>> cells_listed("What was the change from 2018 to 2019?", row), cells_listed("Buildings in 2018?", row)
    ([], [])
    """
    named = cells_named(question, row)
    if len(named) < 2 or not all(value for _, _, value in named):
        return []
    gaps = [question[end:start] for (_, end, _), (start, _, _) in zip(named, named[1:])]
    return [value for _, _, value in named] if all(_LISTING_GAP.fullmatch(g) for g in gaps) else []

