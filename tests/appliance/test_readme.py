"""The README's parameter table is generated from the schema and must not drift from it."""

from pathlib import Path

from appliance.readme_table import replace_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_parameter_table_matches_schema():
    text = README.read_text()
    assert replace_table(text) == text, "README table is stale: run `make readme-table`"
