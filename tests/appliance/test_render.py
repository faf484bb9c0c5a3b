"""Rendering is a pure function of the settings, and Envoy's real loader accepts the result."""

import json

import yaml

from appliance import render as rendering
from appliance.check import validate_envoy
from appliance.layout import Layout
from appliance.settings import parse_text

EXPECTED_FILES = {
    "run/envoy/bootstrap.yaml", "run/envoy/cds.yaml", "run/envoy/eds_rest.yaml",
    "run/envoy/eds_grpc.yaml", "run/serving.json", "run/supervisor/supervisord.conf",
    "run/supervisor/programs/model_server.conf", "run/supervisor/programs/envoy.conf",
    "run/supervisor/programs/logviewer.conf",
}


def _render(tmp_path, text=""):
    layout = Layout.for_home(tmp_path)
    files = rendering.render(parse_text(text), layout, rendering.Tools.installed(), tmp_path)
    return layout, files


def test_renders_exactly_the_expected_files(tmp_path):
    _, files = _render(tmp_path)
    assert {str(p.relative_to(tmp_path)) for p in files} == EXPECTED_FILES


def test_render_is_pure_and_deterministic(tmp_path):
    _, first = _render(tmp_path)
    _, second = _render(tmp_path)
    assert first == second
    assert not (tmp_path / "run").exists()


def test_every_rendered_envoy_config_passes_envoy_validate(tmp_path):
    text = ("http.port = 9080\ngrpc.port = 9081\nenable.access.log = false\n"
            "max.request.mb = 64\ncors.allowed.origins = *\nnode.address = 127.0.0.20\n")
    for variant in ("", text):
        layout, files = _render(tmp_path, variant)
        rendering.write_changed(files)
        layout.log_dir.mkdir(exist_ok=True)
        ok, output = validate_envoy(rendering.Tools.installed().envoy, layout.envoy_dir)
        assert ok, output


def test_settings_reach_envoy_and_model_server(tmp_path):
    layout, files = _render(tmp_path, "http.port = 9080\nmax.request.mb = 2\n"
                            "model.name = a,b\nmodel.b.version.policy = all\n"
                            "node.address = 127.0.0.21\nenable.access.log = false\n")
    boot = yaml.safe_load(files[layout.envoy_dir / "bootstrap.yaml"])
    listeners = {li["name"]: li for li in boot["static_resources"]["listeners"]}
    assert listeners["rest"]["address"]["socket_address"] == {"address": "127.0.0.21",
                                                              "port_value": 9080}
    assert listeners["admin_view"]["address"]["socket_address"]["port_value"] == 8001
    hcm = listeners["rest"]["filter_chains"][0]["filters"][0]["typed_config"]
    assert "access_log" not in hcm
    buffer = [f for f in hcm["http_filters"] if f["name"] == "envoy.filters.http.buffer"][0]
    assert buffer["typed_config"]["max_request_bytes"] == 2 * 1024 * 1024
    assert "pipe" in boot["admin"]["address"], "the mutating admin API must not be on the network"

    server = json.loads(files[layout.serving_config])
    assert [m["name"] for m in server["models"]] == ["a", "b"]
    assert server["models"][1]["version_policy"]["kind"] == "all"
    assert server["models"][0]["base_path"] == str(layout.models_dir / "a")
    assert (server["rest_address"], server["rest_port"]) == ("127.0.0.21", 8501)

    eds = yaml.safe_load(files[layout.envoy_dir / "eds_grpc.yaml"])
    endpoint = eds["resources"][0]["endpoints"][0]["lb_endpoints"][0]
    assert endpoint["endpoint"]["address"]["socket_address"]["port_value"] == 8500
    assert endpoint["endpoint"]["health_check_config"]["port_value"] == 8501


def test_write_changed_only_rewrites_what_differs(tmp_path):
    layout, files = _render(tmp_path)
    assert len(rendering.write_changed(files)) == len(EXPECTED_FILES)
    assert rendering.write_changed(files) == []
    _, changed = _render(tmp_path, "http.port = 9999\n")
    assert rendering.write_changed(changed) == [layout.envoy_dir / "bootstrap.yaml"]


def test_stale_program_files_are_removed(tmp_path):
    layout, files = _render(tmp_path)
    programs = layout.supervisor_dir / "programs"
    rendering.write_changed(files)
    (programs / "retired.conf").write_text("[program:retired]\n")
    written = rendering.write_changed(files, remove_stale_under=programs)
    assert written == [programs / "retired.conf"]
    assert not (programs / "retired.conf").exists()


CLUSTER = "serving.nodes = 127.0.0.31, 127.0.0.32, 127.0.0.33\nlb.policy = round_robin\n"


def test_cluster_endpoints_policy_and_drain_reach_envoy_and_server(tmp_path):
    layout, files = _render(tmp_path, CLUSTER + "node.address = 127.0.0.32\n")
    for name, port in (("eds_rest.yaml", 8501), ("eds_grpc.yaml", 8500)):
        eds = yaml.safe_load(files[layout.envoy_dir / name])
        hosts = [e["endpoint"]["address"]["socket_address"]
                 for e in eds["resources"][0]["endpoints"][0]["lb_endpoints"]]
        assert hosts == [{"address": f"127.0.0.3{i}", "port_value": port} for i in (1, 2, 3)]
    clusters = yaml.safe_load(files[layout.envoy_dir / "cds.yaml"])["resources"]
    assert {c["lb_policy"] for c in clusters} == {"ROUND_ROBIN"}
    assert all(c["outlier_detection"]["max_ejection_percent"] == 50 for c in clusters)
    server = json.loads(files[layout.serving_config])
    assert server["drain_seconds"] == 3.0  # three health intervals


def test_modelrepo_role_runs_no_model_server(tmp_path):
    layout, files = _render(tmp_path, CLUSTER + "node.role = modelrepo\n")
    names = {p.name for p in files}
    assert "model_server.conf" not in names and "serving.json" not in names
    assert "envoy.conf" in names


def test_node_removed_from_the_list_only_proxies(tmp_path):
    layout, files = _render(tmp_path, CLUSTER + "node.address = 127.0.0.39\n")
    assert "model_server.conf" not in {p.name for p in files}


def test_cluster_renders_pass_envoy_validate(tmp_path):
    layout, files = _render(tmp_path, CLUSTER + "node.address = 127.0.0.31\n")
    rendering.write_changed(files)
    layout.log_dir.mkdir()
    ok, output = validate_envoy(rendering.Tools.installed().envoy, layout.envoy_dir)
    assert ok, output


S3 = ("s3.type = s3\nmodel.base.path = s3://models\ns3.endpoint = 127.0.0.50:9000\n"
      "s3.access.key = AKIAREALKEY1\ns3.secret.key = a-real-secret-key-123\n")


def test_bucket_store_renders_the_sync_and_serves_from_its_cache(tmp_path):
    layout, files = _render(tmp_path, S3)
    names = {p.name for p in files}
    assert {"sync.json", "model_sync.conf"} <= names
    server = json.loads(files[layout.serving_config])
    assert server["models"][0]["base_path"] == str(layout.data_dir / "model_cache" /
                                                   "saved_model_half_plus_two_mkl")
    assert server["store_status_file"].endswith("model_sync.status.json")
    sync = json.loads(files[layout.run_dir / "sync.json"])
    assert sync["store"]["secret_key"] == "a-real-secret-key-123"
    assert sync["cache_dir"] == str(layout.data_dir / "model_cache")


def test_repo_node_runs_minio_and_seeds_it_once(tmp_path):
    from modelrepo.minio import ServerCommand

    command = ServerCommand(("/opt/minio", "server", "/data"), {"MINIO_ROOT_PASSWORD": "s3cr3t-val"},
                            tmp_path / "data")
    layout = Layout.for_home(tmp_path)
    settings = parse_text(S3.replace("s3.type = s3", "s3.type = minio")
                          + "node.role = modelrepo\nserving.nodes = 127.0.0.31\n")
    files = rendering.render(settings, layout, rendering.Tools.installed(), tmp_path, command)
    programs = layout.supervisor_dir / "programs"
    assert "command=/opt/minio server /data" in files[programs / "minio.conf"]
    assert "autorestart=false" in files[programs / "minio_seed.conf"]
    assert "model_server.conf" not in {p.name for p in files}
    rendering.write_changed(files)
    assert oct((programs / "minio.conf").stat().st_mode & 0o777) == "0o600"
