"""The access-log table: path splitting, filters, per-node counts."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from logviewer import accesslog


@pytest.mark.parametrize("path, expected", [
    ("/v1/models/m/versions/2:predict", ("m", "2", "predict", None)),
    ("/v1/models/m/labels/stable:classify", ("m", "label:stable", "classify", None)),
    ("/v1/models/m:regress", ("m", None, "regress", None)),
    ("/v1/models/m/metadata", ("m", None, "metadata", None)),
    ("/v1/models/m/versions/3/metadata", ("m", "3", "metadata", None)),
    ("/v1/models/m", ("m", None, "status", None)),
    ("/tensorflow.serving.PredictionService/Predict",
     (None, None, None, "PredictionService/Predict")),
    ("/grpc.health.v1.Health/Check", (None, None, None, "Health/Check")),
    ("/health", (None, None, None, None)),
    (None, (None, None, None, None)),
])
def test_split_path(path, expected):
    parts = accesslog.split_path(path)
    assert (parts["model"], parts["version"], parts["verb"], parts["grpc_method"]) == expected


def test_parse_line_tolerates_dashes_nulls_and_junk():
    entry = accesslog.parse_line(json.dumps({"time": "2026-11-23T11:30:00.123Z", "status": "503",
                                             "upstream": "-", "duration_ms": None}))
    assert entry.status == 503 and entry.status_class == "5xx"
    assert entry.upstream is None and entry.duration_ms is None
    assert entry.time == datetime(2026, 11, 23, 11, 30, 0, 123000, tzinfo=UTC)
    assert accesslog.parse_line("garbage") is None
    assert accesslog.parse_line("[1, 2]") is None


def test_per_node_counts_per_minute():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def at(seconds_ago, node):
        return accesslog.parse_line(json.dumps(
            {"time": (now - timedelta(seconds=seconds_ago)).isoformat(), "upstream": node}))

    entries = [at(10, "a"), at(20, "a"), at(70, "b"), at(290, "a"), at(400, "a")]
    assert accesslog.per_node_counts(entries, now, 5) == [("a", 3, [1, 0, 0, 0, 2]),
                                                          ("b", 1, [0, 0, 0, 1, 0])]


def test_table_lists_requests_newest_first(client):
    page = client.get("/access/").get_data(as_text=True)
    rows = page.split('id="access-table"')[1]
    assert rows.index("/v1/models/other") < rows.index("PredictionService/Predict") \
        < rows.index("label:stable")
    assert "classify" in rows and "UH" in rows and "127.0.0.3:8500" in rows
    assert "200 OK" in rows  # gRPC status beside the HTTP status
    assert "1 not JSON" in page


def _rows(page):
    return page.split('id="access-table"')[1].count("<tr class=")


def test_filter_by_model(client):
    page = client.get("/access/?model=other").get_data(as_text=True)
    assert _rows(page) == 1 and "/v1/models/other" in page


def test_filter_by_status_class(client):
    page = client.get("/access/?status=5xx").get_data(as_text=True)
    assert _rows(page) == 1 and "label:stable" in page
    assert _rows(client.get("/access/?status=2xx").get_data(as_text=True)) == 2
    assert _rows(client.get("/access/?status=bogus").get_data(as_text=True)) == 4


def test_filter_by_node(client):
    page = client.get("/access/?node=127.0.0.3:8500").get_data(as_text=True)
    assert _rows(page) == 1 and "PredictionService/Predict" in page


def test_filter_options_come_from_the_log(client):
    page = client.get("/access/").get_data(as_text=True)
    assert '<option value="m"' in page and '<option value="127.0.0.2:8501"' in page


def test_per_node_table_counts_recent_requests(client, app):
    log = app.extensions["logviewer"].layout.log_dir / "envoy.log"
    now = datetime.now(UTC)
    lines = [{"time": (now - timedelta(seconds=s)).isoformat(), "upstream": node, "status": 200,
              "path": "/v1/models/m:predict"}
             for s, node in [(5, "10.0.0.1:8501"), (6, "10.0.0.1:8501"), (65, "10.0.0.2:8501")]]
    with log.open("a") as f:
        f.write("".join(json.dumps(x) + "\n" for x in lines))
    page = client.get("/access/?minutes=2").get_data(as_text=True)
    table = page.split('id="per-node"')[1].split("</table>")[0]
    assert table.index("10.0.0.1:8501") < table.index("10.0.0.2:8501")
    assert '<td>10.0.0.1:8501</td><td class="num">2</td>' in table
    assert '<td>10.0.0.2:8501</td><td class="num">1</td>' in table


def test_missing_access_log_says_why(client, app):
    (app.extensions["logviewer"].layout.log_dir / "envoy.log").unlink()
    page = client.get("/access/").get_data(as_text=True)
    assert "No access log" in page and "No requests match" in page
