"""harvest_connect.Store through the binding: records, validation, redaction, rotation."""

from __future__ import annotations

import datetime
import os
import stat

import pytest

import harvest_connect as hc

SECRET = "client-secret-QUUX-1234"
ACCOUNT = "5550001234"


def make_pair(store):
    store.create_oauth_client("harvest-app", client_id="cid-1", client_secret=SECRET)
    return store.create_connection("Acme", oauth_client="harvest-app", account_id=ACCOUNT,
                                   user_agent="Acme Reports (ops@acme.test)")


def test_create_and_read_back_without_secrets(store):
    conn = make_pair(store)
    client = store.oauth_client("HARVEST-APP")
    assert client.client_id == "cid-1" and client.provider == "harvest" and client.pkce
    assert client.client_secret == "••••••"
    assert conn.name == "Acme" and conn.status == "not_authorized" and conn.type == "harvest"
    assert conn.has_account_id is True
    with pytest.raises(AttributeError, match="account ID is write-only and encrypted"):
        conn.account_id  # noqa: B018 - no readable attribute, no stand-in value
    assert not hasattr(conn, "account_id") and "account_id" not in dir(conn)
    assert conn.oauth_client == "harvest-app"
    assert conn.api_url == "https://api.harvestapp.com/v2"
    assert isinstance(conn.created_at, datetime.datetime) and conn.created_at.tzinfo is not None
    for obj in (client, conn, store.connections(), store.oauth_clients()):
        text = repr(obj) + str(obj)
        assert SECRET not in text and ACCOUNT not in text
    assert "account ID: set (encrypted)" in repr(conn) and "••" not in repr(conn)
    assert [c.name for c in store.connections()] == ["Acme"]


def test_http_settings_view_masks_secrets(store):
    conn = make_pair(store)
    s = conn.http_settings()
    assert s["base_uri"] == "https://api.harvestapp.com/v2"
    assert s["headers"]["Harvest-Account-Id"] == "••••••"
    assert s["headers"]["User-Agent"] == "Acme Reports (ops@acme.test)"
    assert s["oauth2"]["token_url"] == "https://id.getharvest.com/api/v2/oauth2/token"
    assert s["oauth2"]["client_secret"] == "••••••"
    assert s["ping"] == {"method": "GET", "relative_uri": "/users/me"}
    assert SECRET not in repr(s) and ACCOUNT not in repr(s)


@pytest.mark.parametrize("kwargs, field", [
    (dict(account_id="12-34"), "account_id"),
    (dict(account_id=""), "account_id"),
    (dict(oauth_client="nope"), "oauth_client"),
    (dict(api_url="http://api.example.com/v2"), "api_url"),
    (dict(id_url="ftp://id.example.com"), "id_url"),
    (dict(user_agent="no contact"), "user_agent"),
])
def test_validation_names_the_field(store, kwargs, field):
    store.create_oauth_client("app", client_id="cid", client_secret=SECRET)
    args = dict(oauth_client="app", account_id="123")
    args.update(kwargs)
    with pytest.raises(hc.ValidationError) as info:
        store.create_connection("c", **args)
    assert str(info.value).startswith(f"{field}: ")
    assert isinstance(info.value, ValueError)


def test_name_rules(store):
    with pytest.raises(hc.ValidationError, match="^name: is required"):
        store.create_oauth_client("  ", client_id="cid", client_secret=SECRET)
    with pytest.raises(hc.ValidationError, match="^client_secret: "):
        store.create_oauth_client("x", client_id="cid", client_secret="")
    store.create_oauth_client("app", client_id="cid", client_secret=SECRET)
    with pytest.raises(hc.DuplicateNameError, match="^name: "):
        store.create_oauth_client("APP", client_id="cid", client_secret=SECRET)
    with pytest.raises(hc.NotFoundError):
        store.connection("missing")
    with pytest.raises(KeyError):
        store.oauth_client("missing")


def test_custom_provider_needs_endpoints(store):
    with pytest.raises(hc.ValidationError, match="^authorize_url: "):
        store.create_oauth_client("gh", client_id="cid", client_secret=SECRET, provider="custom")
    c = store.create_oauth_client("gh", client_id="cid", client_secret=SECRET, provider="custom",
                                  authorize_url="https://p.example.com/auth", token_url="https://p.example.com/token",
                                  client_credentials="basic", pkce=False, scope="read write")
    assert (c.provider, c.client_credentials, c.pkce, c.scope) == ("custom", "basic", False, "read write")


def test_loopback_http_is_allowed_for_the_emulator(store):
    store.create_oauth_client("app", client_id="cid", client_secret=SECRET)
    conn = store.create_connection("emu", oauth_client="app", account_id="1", api_url="http://127.0.0.1:8080/v2/",
                                   id_url="http://localhost:8081")
    assert conn.api_url == "http://127.0.0.1:8080/v2"
    assert conn.http_settings()["oauth2"]["authorize_url"] == "http://localhost:8081/oauth2/authorize"


def test_edit_requires_account_id_and_keeps_client_secret(store):
    make_pair(store)
    with pytest.raises(TypeError):
        store.update_connection("Acme", new_name="x")  # account_id is required
    conn = store.update_connection("acme", account_id=ACCOUNT, new_name="Acme Corp")
    assert conn.name == "Acme Corp"
    client = store.update_oauth_client("harvest-app", scope="harvest:5550001234", redirect_uri="http://127.0.0.1:8765/cb")
    assert client.scope == "harvest:5550001234"
    assert client.redirect_uri == "http://127.0.0.1:8765/cb"
    assert store.update_oauth_client("harvest-app", redirect_uri="").redirect_uri is None
    assert store.verify() == []


def test_delete_rules(store):
    make_pair(store)
    with pytest.raises(hc.ValidationError, match="'Acme'"):
        store.delete_oauth_client("harvest-app")
    store.delete_connection("acme")
    store.delete_oauth_client("harvest-app")
    assert store.connections() == [] and store.oauth_clients() == []


def test_token_connection(store):
    conn = store.create_token_connection("pat", access_token="pat-token-XYZ", account_id="42")
    assert conn.auth == "personal_access_token" and conn.oauth_client is None and conn.status == "authorized"
    assert "pat-token-XYZ" not in repr(conn)
    assert conn.http_settings()["auth_type"] == "token"


def test_default_user_agent_and_contact(store, monkeypatch):
    store.create_oauth_client("app", client_id="cid", client_secret=SECRET)
    conn = store.create_connection("c", oauth_client="app", account_id="1")
    assert conn.user_agent.startswith("harvest-connect/") and "(+https://" in conn.user_agent
    monkeypatch.setenv("HARVEST_CONNECT_CONTACT", "me@example.com")
    assert store.connection("c").user_agent.endswith("(me@example.com)")


def test_wrong_key_and_rotation(tmp_path, key):
    path = tmp_path / "s.db"
    with hc.Store.open(path, key=key) as s:
        make_pair(s)
    with pytest.raises(hc.KeyMismatchError) as info:
        hc.Store.open(path, key=hc.Key.generate())
    assert key.id in str(info.value)
    new = hc.Key.generate()
    with hc.Store.open(path, key=key) as s:
        s.rotate_key(new)
        s.rotate_data_key()
        assert s.key_id == new.id
    with pytest.raises(hc.KeyMismatchError):
        hc.Store.open(path, key=key)
    with hc.Store.open(path, key=new) as s:
        assert s.verify() == []
        assert s.connection("acme").has_account_id


def test_passphrase_store(tmp_path):
    path = tmp_path / "p.db"
    with hc.Store.open(path, passphrase="correct horse battery staple") as s:
        make_pair(s)
    with pytest.raises(hc.KeyMismatchError):
        hc.Store.open(path, passphrase="wrong")
    with hc.Store.open(path, passphrase="correct horse battery staple") as s:
        assert len(s.connections()) == 1


def test_default_location_and_modes(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HARVEST_CONNECT_HOME", str(home))
    with hc.Store.open() as s:
        make_pair(s)
        assert s.path == home / "store.db"
    assert stat.S_IMODE(os.stat(home / "store.db").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(home / "master.key").st_mode) == 0o600
    assert hc.default_store_path() == home / "store.db"


def test_world_readable_key_file_is_refused(tmp_path):
    key_file = tmp_path / "k.key"
    hc._core._write_key_file(str(key_file), hc.Key.generate())
    os.chmod(key_file, 0o644)
    with pytest.raises(hc.ValidationError, match="chmod 600"):
        hc.Store.open(tmp_path / "s.db", key_file=key_file)


def test_closed_store(tmp_path, key):
    s = hc.Store.open(tmp_path / "s.db", key=key)
    assert repr(s) == f"Store({str(tmp_path / 's.db')!r})"
    s.close()
    assert s.closed
    assert repr(s) == f"Store({str(tmp_path / 's.db')!r}, closed=True)"
    with pytest.raises(hc.HarvestConnectError, match="closed"):
        s.connections()
