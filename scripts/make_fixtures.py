"""Write the document fixtures the tests use (tests/data/docs/), or a long PDF for the memory benchmark.

    python scripts/make_fixtures.py                 # the committed fixtures
    python scripts/make_fixtures.py --long 300 OUT  # a text PDF of 300 pages

The PDFs are written by hand (a few objects, the standard Helvetica font, no library needed); the
encrypted copy and the Word document through pypdf and python-docx. The facts are invented, so no
model can answer from memory.
"""
from __future__ import annotations

import argparse
import io
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "tests" / "data" / "docs"

PAGE_ONE = ["The Marren Valley Survey",
            "The Marren reservoir was completed in 1962 after six years of work.",
            "Its dam is 48 metres high and holds 31 million cubic metres of water.",
            "The valley has about 12,400 residents in nine villages."]
PAGE_TWO = ["Wildlife",
            "Surveyors counted 214 species of birds around the reservoir in 2023.",
            "The rare Marren newt lives only in the three springs above Ostby.",
            "Fishing is allowed from April to October with a permit from the water board."]

DOCX_SECTIONS = [
    ("Heading 1", "Harbour Operations"),
    (None, "The Tollen harbour handles ships of up to 9 metres draught."),
    ("Heading 2", "Opening hours"),
    (None, "The harbour office opens at 7:30 and closes at 18:00 on weekdays."),
    ("Heading 2", "Fees"),
    (None, "Mooring costs 42 euros a night for boats under 12 metres."),
    (None, "Larger boats pay 3.50 euros per metre per night."),
]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _text_stream(lines: list[str]) -> bytes:
    ops = ["BT", "/F1 12 Tf", "14 TL", "72 740 Td"]
    for line in lines:
        ops += [f"({_escape(line)}) Tj", "T*"]
    ops.append("ET")
    return "\n".join(ops).encode("latin-1")


def write_pdf(pages: list[list[str] | None], title: str | None = None) -> bytes:
    """A PDF with one page per entry: lines of text, or None for a page that holds only an image (a scan)."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pixels = zlib.compress(bytes((x * 7 + y * 3) % 256 for y in range(64) for x in range(64)))
    image = add(b"<< /Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % len(pixels) + pixels
                + b"\nendstream")
    pages_id = len(objects) + 1 + 2 * len(pages)  # after every page and its content
    kids = []
    for lines in pages:
        content = b"q 468 0 0 648 72 72 cm /Im1 Do Q" if lines is None else _text_stream(lines)
        stream = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                        b"/Resources << /Font << /F1 %d 0 R >> /XObject << /Im1 %d 0 R >> >> >>"
                        % (pages_id, stream, font, image)))
    assert add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(f"{k} 0 R" for k in kids).encode(),
                                                              len(kids))) == pages_id
    info = add(b"<< /Title (%s) /Producer (make_fixtures.py) >>" % _escape(title).encode("latin-1")) if title else None
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info:
        trailer += b" /Info %d 0 R" % info
    out.write(b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def encrypted(pdf: bytes, password: str) -> bytes:
    """The same PDF locked with a user password (RC4-128: pypdf writes and reads it without extras)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_docx() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "Tollen Harbour Guide"
    for style, text in DOCX_SECTIONS:
        if style:
            document.add_heading(text, level=int(style.split()[-1]))
        else:
            document.add_paragraph(text)
    table = document.add_table(rows=3, cols=2)
    for row, cells in zip(table.rows, [("Berth", "Length"), ("North quay", "140 m"), ("South quay", "95 m")]):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def long_pdf(pages: int) -> bytes:
    """`pages` pages of distinct invented sentences (each page names its number)."""
    body = []
    for n in range(1, pages + 1):
        body.append([f"Section {n}"] + [f"Sluice {n}-{i} of the northern canal opens {(n * 7 + i) % 60} minutes "
                                        f"after high tide and drains {n * 3 + i} cubic metres." for i in range(40)])
    return write_pdf(body, title="Northern Canal Sluice Register")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long", type=int, metavar="PAGES", help="write a text PDF of PAGES pages to OUT instead")
    parser.add_argument("out", nargs="?", type=Path)
    args = parser.parse_args(argv)
    if args.long:
        if args.out is None:
            parser.error("--long needs OUT")
        args.out.write_bytes(long_pdf(args.long))
        print(f"wrote {args.out} ({args.long} pages)")
        return 0
    DOCS.mkdir(parents=True, exist_ok=True)
    text_pdf = write_pdf([PAGE_ONE, PAGE_TWO], title="The Marren Valley Survey")
    fixtures = {
        "marren_survey.pdf": text_pdf,
        "scanned.pdf": write_pdf([None, None]),
        "locked.pdf": encrypted(text_pdf, "marren"),
        "tollen_harbour.docx": write_docx(),
    }
    for name, data in fixtures.items():
        (DOCS / name).write_bytes(data)
        print(f"wrote {DOCS / name} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
