"""The models pages: the store on disk, the server's states and metadata, the bucket hook."""

import pytest

from logviewer import bucket, modelstore


@pytest.mark.parametrize("names, formats", [
    (["saved_model.pb", "variables/variables.index"], ["tensorflow"]),
    (["model.xml", "model.bin"], ["openvino"]),
    (["model.xml"], []),
    (["model.onnx"], ["onnx"]),
    (["iris.pmml"], ["pmml"]),
    (["README"], []),
])
def test_detect_formats(names, formats):
    assert modelstore.detect_formats(names) == formats


def _row(page, model, version):
    start = page.index(f'href="/models/{model}/versions/{version}"')
    return page[start:page.index("</tr>", start)]


def test_listing_shows_models_versions_formats_sizes(client):
    page = client.get("/models/").get_data(as_text=True)
    for model in ("saved_model_half_plus_two_mkl", "resnet", "mnist", "iris"):
        assert f'class="model">{model}' in page
    assert "tensorflow" in _row(page, "saved_model_half_plus_two_mkl", 1)
    assert "2.1 KiB" in _row(page, "saved_model_half_plus_two_mkl", 1)
    assert "openvino" in _row(page, "resnet", 1) and "onnx" in _row(page, "mnist", 3)
    assert "pmml" in _row(page, "iris", 1)
    assert "configured" in page


def test_listing_shows_load_state_and_errors(client):
    page = client.get("/models/").get_data(as_text=True)
    assert "AVAILABLE" in _row(page, "saved_model_half_plus_two_mkl", 2)
    v1 = _row(page, "saved_model_half_plus_two_mkl", 1)
    assert "END" in v1 and "Could not load &lt;v1&gt;" in v1
    assert "not served" in _row(page, "mnist", 3)


def test_listing_when_the_model_server_is_down(client, upstream):
    upstream.down("http://127.0.0.1:8501")
    resp = client.get("/models/")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "The model server on this node is not answering" in page
    assert "unknown" in _row(page, "resnet", 1)


@pytest.mark.parametrize("conf_text", ["model.name = saved_model_half_plus_two_mkl,missing_model\n"], indirect=True)
def test_configured_models_missing_from_the_store(client):
    page = client.get("/models/").get_data(as_text=True)
    assert "missing_model" in page.split("Served, not in the local store")[1]


def test_models_from_base_path_directory(client, app, tmp_path):
    other = tmp_path / "elsewhere"
    (other / "z" / "7").mkdir(parents=True)
    (other / "z" / "7" / "z.onnx").write_text("x")
    from appliance.settings import parse_text
    from logviewer import create_app

    layout = app.extensions["logviewer"].layout
    alt = create_app(parse_text(f"model.base.path = {other}"), layout,
                     {"TESTING": True, "FETCH_JSON": app.config["FETCH_JSON"]})
    page = alt.test_client().get("/models/").get_data(as_text=True)
    assert str(other) in page and 'href="/models/z/versions/7"' in page and "resnet" not in page


def test_version_page_renders_signatures(client):
    page = client.get("/models/saved_model_half_plus_two_mkl/versions/2").get_data(as_text=True)
    assert "AVAILABLE" in page and "serving_default" in page and "tensorflow/serving/predict" in page
    assert "<td>x</td><td>float</td><td>(?,)</td>" in page
    assert "<td>y</td><td>float</td><td>(?,)</td>" in page
    assert "saved_model.pb" in page


def test_version_page_for_a_failed_version(client):
    page = client.get("/models/saved_model_half_plus_two_mkl/versions/1").get_data(as_text=True)
    assert "END" in page and "Could not load &lt;v1&gt;" in page
    assert "variables/variables.index" in page and "Signatures" not in page


def test_version_page_when_the_server_is_down(client, upstream):
    upstream.down("http://127.0.0.1:8501")
    page = client.get("/models/resnet/versions/1").get_data(as_text=True)
    assert "not answering" in page and "model.xml" in page


def test_version_folders_with_leading_zeros(client, app):
    store = app.extensions["logviewer"].layout.models_dir
    (store / "padded" / "00000123").mkdir(parents=True)
    (store / "padded" / "00000123" / "saved_model.pb").write_bytes(b"pb")
    assert 'href="/models/padded/versions/123"' in client.get("/models/").get_data(as_text=True)
    assert "saved_model.pb" in client.get("/models/padded/versions/123").get_data(as_text=True)


def test_unknown_version_is_404(client):
    assert client.get("/models/resnet/versions/9").status_code == 404
    assert client.get("/models/nope/versions/1").status_code == 404


def test_bucket_not_configured(client):
    assert "s3.type = none" in client.get("/models/").get_data(as_text=True)


@pytest.mark.parametrize("conf_text", ["s3.type = s3\nmodel.base.path = s3://models\n"], indirect=True)
def test_bucket_hook_without_a_lister_says_so(client):
    page = client.get("/models/").get_data(as_text=True)
    assert "s3://models: The bucket listing is not available" in page


def test_bucket_hook_with_a_lister_and_a_failing_one():
    from appliance.settings import parse_text

    settings = parse_text("s3.type = s3\nmodel.base.path = s3://models\n")
    listed = [modelstore.Model("m", [modelstore.Version(1, None, ["onnx"], 10)])]
    assert bucket.view(settings, lambda s: listed).models == listed

    def broken(_settings):
        raise ConnectionError("endpoint 127.0.0.50:9000 refused")

    assert "Cannot list the bucket: endpoint" in bucket.view(settings, broken).message


@pytest.mark.parametrize("conf_text", ["s3.type = s3\nmodel.base.path = s3://models\n"], indirect=True)
def test_bucket_table_from_the_lister(app):
    listed = [modelstore.Model("bucketmodel", [modelstore.Version(4, None, ["pmml"], 1000,
                                                                   [("m.pmml", 1000)])])]
    app.config["BUCKET_LISTER"] = lambda settings: listed
    page = app.test_client().get("/models/").get_data(as_text=True)
    table = page.split('id="bucket"')[1]
    assert "bucketmodel" in table and "pmml" in table and "1000 B" in table
