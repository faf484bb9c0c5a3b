"""The cluster page: backend health as Envoy's admin view reports it."""

from logviewer import envoyadmin


def test_hosts_states_and_counts(client):
    page = client.get("/cluster/").get_data(as_text=True)
    rest = page.split('id="cluster-serving_rest"')[1]
    assert '<td class="backend">127.0.0.2:8501</td><td class="host-state">healthy</td>' in rest
    assert ('<td class="backend">127.0.0.3:8501</td>'
            '<td class="host-state">failing health check</td>') in rest
    assert '<td class="backend">127.0.0.4:8501</td><td class="host-state">ejected</td>' in rest
    assert "10.0%" in rest and "100.0%" in rest  # error rates 9/90 and 5/5
    assert "105 requests" in rest and "14 5xx" in rest and "1 of 3 healthy" in rest
    assert "admin_view" not in page  # only the serving clusters


def test_page_refreshes_from_the_fragment(client):
    page = client.get("/cluster/").get_data(as_text=True)
    assert 'data-refresh-url="/cluster/hosts"' in page
    fragment = client.get("/cluster/hosts").get_data(as_text=True)
    assert "<html" not in fragment and "127.0.0.3:8501" in fragment


def test_envoy_unreachable_is_a_message(client, upstream):
    upstream.down("http://127.0.0.1:8001")
    for url in ("/cluster/", "/cluster/hosts"):
        resp = client.get(url)
        assert resp.status_code == 200
        assert "admin view is not answering (http://127.0.0.1:8001" in resp.get_data(as_text=True)


def test_host_parsing_of_eds_status():
    host = envoyadmin._host({"address": {"socket_address": {"address": "a", "port_value": 1}},
                             "health_status": {"eds_health_status": "DRAINING"}})
    assert host.state == "draining" and not host.healthy and host.error_rate is None
