"""Three serving nodes whose models come from an S3 bucket (moto in server mode, the project's
only stand-in: MinIO cannot be installed here), end to end through `appliance`: the rendered
model_sync, `appliance models push`, Envoy on every node, and a store outage.
"""

from __future__ import annotations

import ipaddress
import json
import time

import pytest

from appliance import cluster
from tests.modelrepo.conftest import MotoServer
from tests.nodes import TESTDATA, http, wait_for

FIRST = ipaddress.IPv4Address("127.0.0.36")
MODEL = "half"


@pytest.fixture(scope="module")
def moto():
    server = MotoServer("127.0.0.54", auth=True)
    server.start()
    server.s3().create_bucket(Bucket="models")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def nodes(tmp_path_factory, moto):
    base = tmp_path_factory.mktemp("bucket-cluster")
    extra = {"model.name": MODEL, "s3.type": "s3", "model.base.path": "s3://models",
             "s3.endpoint": moto.endpoint, "s3.tls": "false", "s3.access.key": moto.access_key,
             "s3.secret.key": moto.secret_key, "model.poll.seconds": "0.5",
             "health.interval.seconds": "0.5"}
    running = cluster.up(base, 3, False, extra, say=lambda _: None, first=FIRST)
    yield running
    assert cluster.down(base, say=lambda _: None)


def predict(node) -> tuple[int, bytes]:
    status, raw, _ = http("POST", f"http://{node.address}:8080/v1/models/{MODEL}:predict",
                          '{"instances": [[1.0]]}', timeout=5)
    return status, raw


def test_a_pushed_model_is_served_by_every_node_and_survives_a_store_outage(nodes, moto):
    for node in nodes:  # the bucket is empty: the nodes run, but have nothing to serve yet
        wait_for(lambda n=node: (n.home / "run" / "model_sync.status.json").exists(), 120,
                 f"{node.name}'s model sync to report")
    assert predict(nodes[0])[0] == 503

    pushed = time.monotonic()
    result = cluster.appliance(nodes[0], "models", "push",
                               str(TESTDATA / "saved_model_half_plus_two_cpu" / "00000123"),
                               "--name", MODEL)
    assert result.returncode == 0, result.stderr
    for node in nodes:
        wait_for(lambda n=node: predict(n) == (200, b'{"predictions":[[2.5]]}'), 60,
                 f"{node.name} to serve the pushed model")
    served_after = time.monotonic() - pushed
    # Two stable listings (poll 0.5 s) then download and load: a few seconds on 2 busy cores.
    assert served_after < 30, served_after

    moto.stop()
    for node in nodes:
        wait_for(lambda n=node: "unreachable" in cluster.appliance(n, "status").stdout, 60,
                 f"{node.name}'s status to show the store unreachable")
        status, raw, _ = http("GET", f"http://{node.address}:8501/health")
        assert status == 200 and "unreachable" in json.loads(raw)["model_store"]
        assert predict(node) == (200, b'{"predictions":[[2.5]]}')
    for line in (nodes[0].home / "logs" / "model_sync.log").read_text().splitlines():
        assert moto.secret_key not in line
