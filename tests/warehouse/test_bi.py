"""The data dictionary: rendered from catalog rows, committed in docs/ and never drifting from marts.sql; and the
read-only attach that sees the file on disk now, even in a process that holds the replaced one open."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.ddl import load_layer
from warehouse.dictionary import (
    REGENERATE,
    ColumnDoc,
    TableDoc,
    attach_published,
    catalog,
    from_ddl,
    render_dictionary,
    write_dictionary,
)
from warehouse.store import WarehouseRun, connect_readonly

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "DATA_DICTIONARY.md"


def test_committed_data_dictionary_is_the_one_the_ddl_generates() -> None:
    assert COMMITTED.exists(), f"docs/DATA_DICTIONARY.md is missing; generate it: {REGENERATE}"
    assert COMMITTED.read_text(encoding="utf-8") == from_ddl(), (
        f"docs/DATA_DICTIONARY.md no longer matches the comments in warehouse/schema/marts.sql; regenerate it: {REGENERATE}"
    )


def test_every_mart_and_column_has_a_comment_in_the_dictionary() -> None:
    con = duckdb.connect()
    try:
        for table in load_layer("marts").values():
            for statement in table.statements:
                con.execute(statement)
        tables, columns = catalog(con)
    finally:
        con.close()
    assert {t.table for t in tables} == set(load_layer("marts"))
    assert [t.table for t in tables if not t.comment] == []
    assert [f"{c.table}.{c.column}" for c in columns if not c.comment] == []
    text = from_ddl()
    for t in tables:
        assert f"\n## {t.table}\n" in text and f"- [{t.table}](#{t.table})" in text


def test_render_dictionary_rows_to_markdown() -> None:
    tables = [
        TableDoc("zeta", "Last by name."),
        TableDoc("alpha", "One row per day.\nSecond line."),
        TableDoc("bare", None),
    ]
    columns = [
        ColumnDoc("alpha", "date", "DATE", "Trading day."),
        ColumnDoc("alpha", "ratio", "DOUBLE", "Put | call, a fraction."),
        ColumnDoc("zeta", "x", "DECIMAL(18,3)", None),
    ]
    text = render_dictionary(tables, columns)
    body = text[text.index("\n## ") :]
    assert body == (
        "\n## alpha\n\nOne row per day. Second line.\n\n"
        "| column | type | meaning |\n|---|---|---|\n"
        "| `date` | DATE | Trading day. |\n"
        "| `ratio` | DOUBLE | Put \\| call, a fraction. |\n"
        "\n## bare\n\n(no comment)\n\n| column | type | meaning |\n|---|---|---|\n"
        "\n## zeta\n\nLast by name.\n\n| column | type | meaning |\n|---|---|---|\n"
        "| `x` | DECIMAL(18,3) |  |\n"
    )
    assert "- [alpha](#alpha)\n- [bare](#bare)\n- [zeta](#zeta)\n" in text
    assert REGENERATE in text


def _publish_rate(data_dir: Path, day: date, value: float) -> None:
    with WarehouseRun(data_dir, kind="test", as_of=day) as run:
        run.rebuild(
            "risk_free", pa.table({"series": ["DGS10"], "date": [day], "value": [value], "inputs_as_of": [day]})
        )
        run.publish()


def test_attach_published_reads_the_file_on_disk_while_an_old_connection_is_open(tmp_path: Path) -> None:
    first, second = date(2024, 1, 2), date(2024, 1, 3)
    _publish_rate(tmp_path, first, 4.0)
    held = connect_readonly(tmp_path)  # as the writer's process may hold one across its publish
    try:
        _publish_rate(tmp_path, second, 4.5)
        with attach_published(tmp_path) as con:
            assert con.execute("SELECT date, value FROM w.risk_free").fetchall() == [(second, 4.5)]
        assert held.execute("SELECT date FROM risk_free").fetchall() == [(first,)]
    finally:
        held.close()
    written = write_dictionary(tmp_path, tmp_path / "out" / "DATA_DICTIONARY.md")
    text = written.read_text(encoding="utf-8")
    assert [line for line in text.splitlines() if line.startswith("## ")] == ["## pipeline_runs", "## risk_free"]
    assert section(text, "risk_free") == section(from_ddl(), "risk_free")
    assert [p.name for p in written.parent.iterdir()] == ["DATA_DICTIONARY.md"]


def section(text: str, table: str) -> str:
    start = text.index(f"\n## {table}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]
