"""Which addresses a feed URL may reach, and what of a URL a log may show."""

from __future__ import annotations

import ipaddress

import pytest

from recoms.importing.fetch import FetchPolicy, is_public, parse_networks, redact


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.0.9",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space (CGNAT)
        "0.0.0.0",
        "224.0.0.1",  # multicast
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "192.0.2.10",  # documentation
        "::1",
        "::",
        "fe80::1",
        "fc00::1",  # unique local
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:8.8.8.8",  # mapped, even when the IPv4 address is public
        "::127.0.0.1",  # IPv4-compatible
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "2001:db8::1",  # documentation
    ],
)
def test_addresses_that_are_not_public(address: str) -> None:
    parsed = ipaddress.ip_address(address)
    assert not is_public(parsed)
    assert not FetchPolicy(max_bytes=1, deadline=1).permits(parsed)
    assert FetchPolicy(max_bytes=1, deadline=1, allow_private=True).permits(parsed)


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111"])
def test_public_addresses(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_allowed_networks_let_only_themselves_through() -> None:
    policy = FetchPolicy(max_bytes=1, deadline=1, allowed_networks=parse_networks("10.1.2.0/24"))
    assert policy.permits(ipaddress.ip_address("10.1.2.7"))
    assert not policy.permits(ipaddress.ip_address("10.1.3.7"))
    assert not policy.permits(ipaddress.ip_address("127.0.0.1"))
    with pytest.raises(ValueError, match=r"'10\.1\.2\.300' is not a network"):
        parse_networks("10.1.2.0/24, 10.1.2.300")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://shop.example/feed.xml", "https://shop.example/feed.xml"),
        (
            "https://u:p4ss@shop.example:8443/f.xml?token=s3c#x",
            "https://shop.example:8443/f.xml?…",
        ),
        ("http://token@shop.example/f.xml", "http://shop.example/f.xml"),
        ("http://[::1", "(an unreadable URL)"),
    ],
)
def test_redact_keeps_what_finds_the_feed_and_drops_secrets(url: str, shown: str) -> None:
    assert redact(url) == shown
