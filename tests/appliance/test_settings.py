"""The configuration file: defaults, types, per-model keys and refusal messages."""

import pytest

from appliance.schema import KEYS, ConfigError
from appliance.settings import default_file_text, parse_text


def test_defaults_parse_to_typed_values():
    s = parse_text("")
    assert s["http.port"] == 8080 and s["grpc.port"] == 8081
    assert s.models == ("saved_model_half_plus_two_mkl",)
    assert s["enable.access.log"] is True
    assert s["model.poll.seconds"] == 2.0
    assert s["s3.type"] == "none"


def test_default_file_round_trips_every_key():
    text = default_file_text()
    assert all(f"\n{k.name} = {k.default}\n" in text for k in KEYS)
    assert parse_text(text) == parse_text("")


def test_comments_blank_lines_and_spaces():
    s = parse_text("# a comment\n\n   http.port=9080  \nmodel.name = a, b ,c\n")
    assert s["http.port"] == 9080
    assert s.models == ("a", "b", "c")


@pytest.mark.parametrize("line, fragments", [
    ("http.port = abc", ["http.port = 'abc' is not allowed", "a TCP port from 1 to 65535"]),
    ("http.port = 8500", ["8500 is the model server's gRPC port", "except"]),
    ("grpc.port = 8501", ["8501 is the model server's REST port"]),
    ("http.port = 70000", ["http.port = '70000'"]),
    ("s3.type = foo", ["s3.type = 'foo' is not allowed", "one of none, minio, s3"]),
    ("bogus.key = 1", ["unknown key 'bogus.key'", "known keys: model.name"]),
    ("enable.access.log = maybe", ["true or false"]),
    ("model.name = a/b", ["model.name = 'a/b'", "model names"]),
    ("node.address = 300.1.1.1", ["node.address", "IPv4 address"]),
    ("model.version.policy = newest", ["one of latest, all, specific"]),
    ("this is not a pair", ["is not a 'key = value' line"]),
])
def test_bad_values_name_key_value_and_what_is_allowed(line, fragments):
    with pytest.raises(ConfigError) as err:
        parse_text(line + "\n", source="appliance.conf")
    message = str(err.value)
    assert message.startswith("appliance.conf:1: ")
    for fragment in fragments:
        assert fragment in message


def test_all_errors_are_reported_together():
    with pytest.raises(ConfigError) as err:
        parse_text("http.port = abc\ns3.type = foo\nnope = 1\n", source="f")
    lines = str(err.value).splitlines()
    assert {line.split(":")[1] for line in lines} == {"1", "2", "3"}


def test_duplicate_key_is_refused():
    with pytest.raises(ConfigError, match="http.port is set twice"):
        parse_text("http.port = 9000\nhttp.port = 9001\n")


def test_same_port_twice_is_refused():
    with pytest.raises(ConfigError, match="http.port and grpc.port are both 9090"):
        parse_text("http.port = 9090\ngrpc.port = 9090\n")


def test_per_model_keys_override_globals():
    s = parse_text("model.name = a, b.v2\nmodel.version.policy = all\n"
                   "model.b.v2.version.policy = specific\nmodel.b.v2.versions = 3,4\n"
                   "model.a.version.labels = stable=1,canary=2\n")
    assert s.for_model("a", "model.version.policy") == "all"
    assert s.for_model("b.v2", "model.version.policy") == "specific"
    assert s.for_model("b.v2", "model.versions") == (3, 4)
    assert s.for_model("a", "model.version.labels") == {"stable": 1, "canary": 2}


def test_per_model_key_for_unknown_model_is_refused():
    with pytest.raises(ConfigError, match="names model 'x', which is not in model.name"):
        parse_text("model.x.version.policy = all\n")


def test_secrets_are_masked():
    s = parse_text("s3.type = s3\nmodel.base.path = s3://models\n"
                   "s3.access.key = AKIAEXAMPLE\ns3.secret.key = hunter2\n")
    shown = s.masked()
    assert shown["s3.secret.key"] == "********" and shown["s3.access.key"] == "********"
    assert "hunter2" not in repr(shown)
    assert shown["http.port"] == "8080"


def test_a_rejected_secret_is_not_echoed():
    with pytest.raises(ConfigError) as err:
        parse_text("logviewer.password = my plain password\n")
    assert "my plain password" not in str(err.value)
    assert "logviewer.password" in str(err.value) and "secret" in str(err.value)
