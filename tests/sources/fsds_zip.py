"""A hand-made SEC Financial Statement Data Sets zip, in the real files' column layout (2009q3 and later)."""

from __future__ import annotations

import io
import zipfile

SUB_HEADER = [
    "adsh",
    "cik",
    "name",
    "sic",
    "countryba",
    "stprba",
    "cityba",
    "zipba",
    "bas1",
    "bas2",
    "baph",
    "countryma",
    "stprma",
    "cityma",
    "zipma",
    "mas1",
    "mas2",
    "countryinc",
    "stprinc",
    "ein",
    "former",
    "changed",
    "afs",
    "wksi",
    "fye",
    "form",
    "period",
    "fy",
    "fp",
    "filed",
    "accepted",
    "prevrpt",
    "detail",
    "instance",
    "nciks",
    "aciks",
]
NUM_HEADER = ["adsh", "tag", "version", "ddate", "qtrs", "uom", "segments", "coreg", "value", "footnote"]
TAG_HEADER = ["tag", "version", "custom", "abstract", "datatype", "iord", "crdr", "tlabel", "doc"]
PRE_HEADER = ["adsh", "report", "line", "stmt", "inpth", "rfile", "tag", "version", "plabel", "negating"]

K, KA, Q = "0000001234-09-000001", "0000001234-09-000002", "0000005678-09-000003"


def _sub(adsh: str, cik: int, name: str, fye: str, form: str, fy: str, fp: str, filed: str) -> list[str]:
    row = dict.fromkeys(SUB_HEADER, "")
    row.update(adsh=adsh, cik=str(cik), name=name, sic="7372", countryba="US", fye=fye, form=form, period="20090630")
    row.update(fy=fy, fp=fp, filed=filed, accepted=f"{filed[:4]}-{filed[4:6]}-{filed[6:]} 16:00:00.0", prevrpt="0")
    row.update(detail="0", instance="x-20090630.xml", nciks="1")
    return [row[c] for c in SUB_HEADER]


SUB_ROWS = [
    _sub(K, 1234, "ALPHA SOFTWARE INC", "0630", "10-K", "2009", "FY", "20090821"),
    # The same day's amendment, restating Assets (a duplicate raw key whose value differs).
    _sub(KA, 1234, "ALPHA SOFTWARE INC", "0630", "10-K/A", "2009", "FY", "20090821"),
    # No fiscal focus in its XBRL: fy and fp empty.
    _sub(Q, 5678, "BETA RETAIL CORP", "0131", "10-Q", "", "", "20090810"),
]
# adsh, tag, version, ddate, qtrs, uom, segments, coreg, value, footnote
NUM_ROWS = [
    [K, "Assets", "us-gaap/2009", "20090630", "0", "USD", "", "", "1000.0000", ""],
    [K, "Revenues", "us-gaap/2009", "20090630", "4", "USD", "", "", "500.0000", ""],
    [K, "Revenues", "us-gaap/2009", "20090630", "1", "USD", "", "", "130.0000", ""],
    [K, "Assets", "us-gaap/2009", "20090630", "0", "USD", "", "ParentCompany", "900.0000", ""],
    [K, "Revenues", "us-gaap/2009", "20090630", "4", "USD", "BusinessSegments=Software;", "", "300.0000", ""],
    [K, "PayablesAndAccruals", K, "20090630", "0", "USD", "", "", "70.0000", ""],
    [K, "EarningsPerShareBasic", "us-gaap/2009", "20090630", "4", "USD", "", "", "1.2500", ""],
    [K, "CommitmentsAndContingencies", "us-gaap/2009", "20090630", "0", "USD", "", "", "", ""],
    [K, "EntityCommonStockSharesOutstanding", "dei/2009", "20090731", "0", "shares", "", "", "5000.0000", ""],
    # One tag under two us-gaap versions in one filing: the same raw key, the same value.
    [K, "Assets", "us-gaap/2008", "20090630", "0", "USD", "", "", "1000.0000", ""],
    [KA, "Assets", "us-gaap/2009", "20090630", "0", "USD", "", "", "1001.0000", "Restated"],
    [Q, "Revenues", "us-gaap/2009", "20090228", "1", "USD", "", "", "40.0000", ""],
    [Q, "Revenues", "us-gaap/2009", "20090630", "2", "USD", "", "", "90.0000", ""],
]
TAG_ROWS = [
    ["Assets", "us-gaap/2009", "0", "0", "monetary", "I", "D", "Assets", "Sum of the carrying amounts."],
    ["Revenues", "us-gaap/2009", "0", "0", "monetary", "D", "C", "Revenues", "Revenue recognized."],
    ["EarningsPerShareBasic", "us-gaap/2009", "0", "0", "perShare", "D", "", "Earnings Per Share, Basic", "EPS."],
    ["PayablesAndAccruals", K, "1", "0", "monetary", "I", "C", "Payables and accruals", ""],
]
PRE_ROWS = [
    [K, "2", "1", "BS", "0", "H", "Assets", "us-gaap/2009", "Total assets", "0"],
    [K, "4", "1", "IS", "0", "H", "Revenues", "us-gaap/2009", "Revenues", "0"],
]


def _tsv(header: list[str], rows: list[list[str]]) -> bytes:
    return "".join("\t".join(r) + "\n" for r in [header, *rows]).encode()


def tiny_fsds_zip(
    num_rows: list[list[str]] | None = None, *, sub_rows: list[list[str]] | None = None, drop: str | None = None
) -> bytes:
    """The four files zipped like SEC's quarterly download (optionally other num/sub rows, or one member left out)."""
    members = {
        "sub.txt": _tsv(SUB_HEADER, SUB_ROWS if sub_rows is None else sub_rows),
        "num.txt": _tsv(NUM_HEADER, NUM_ROWS if num_rows is None else num_rows),
        "tag.txt": _tsv(TAG_HEADER, TAG_ROWS),
        "pre.txt": _tsv(PRE_HEADER, PRE_ROWS),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if name != drop:
                archive.writestr(name, data)
    return out.getvalue()
