"""docker-compose.yml (issue 21, finding 10): it cannot run here (no Docker registry), so its
shape is checked: gunicorn is reachable only through the proxy, and only the proxy is trusted
with forwarded headers."""

import ipaddress
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_gunicorn_is_not_published_and_a_proxy_is_the_only_way_in():
    services = compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}

    assert published == {"proxy"}
    assert "0.0.0.0" not in " ".join(services["proxy"]["ports"])  # host:container pairs only
    assert services["web"].get("expose") == ["8000"]


def test_only_the_proxy_is_trusted_with_forwarded_headers():
    spec = compose()
    proxy_address = spec["services"]["proxy"]["networks"]["internal"]["ipv4_address"]
    subnet = ipaddress.ip_network(spec["networks"]["internal"]["ipam"]["config"][0]["subnet"])
    web_env = spec["services"]["web"]["environment"]

    trusted = [ipaddress.ip_network(p) for p in web_env["RECSYS_TRUSTED_PROXIES"].split(",")]

    assert trusted == [ipaddress.ip_network(f"{proxy_address}/32")]
    assert ipaddress.ip_address(proxy_address) in subnet
    assert web_env["DJANGO_SECURE_PROXY_SSL_HEADER"] == "true"  # the proxy sets the scheme


def test_the_proxy_overwrites_what_a_client_says_about_itself():
    spec = compose()
    mount = spec["services"]["proxy"]["volumes"][0]
    config_path, target = mount.split(":")[:2]
    lines = (ROOT / config_path).read_text().splitlines()
    config = "\n".join(line.split("#")[0] for line in lines)  # directives, not comments

    assert target == "/etc/nginx/conf.d/default.conf"
    assert re.search(r"proxy_set_header X-Forwarded-For \$remote_addr;", config)
    assert re.search(r"proxy_set_header X-Forwarded-Proto \$scheme;", config)
    assert "proxy_add_x_forwarded_for" not in config  # would keep a client's own header
    assert re.search(r"server web:8000;", config)
    assert re.search(r"limit_req zone=per_client", config)  # a flood stops at the proxy
