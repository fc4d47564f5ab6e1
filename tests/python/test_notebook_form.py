"""The connection form (harvest_connect.notebook), driven as a user would (set values, click)
against the emulator: create, edit, a taken name, a wrong client secret, a denied consent, the
paste and the loopback flows, Cancel, and no secret left in any widget's state after saving."""

from __future__ import annotations

import html
import json
import re
import sys
from typing import Any, Iterator, List

import pytest

pytest.importorskip("ipywidgets")  # the [notebook] extra; the test extras carry it

import harvest_connect as hc
from harvest_connect import authorization
from harvest_connect.notebook import NEW_CLIENT, ConnectionForm, connection_form

from _oauth_support import FakeBrowser, query


@pytest.fixture
def app(emu):
    return emu.register_app("Form app", "http://127.0.0.1")


def form_for(emu, store, **kw: Any) -> ConnectionForm:
    return connection_form(store, api_url=emu.api_url, id_url=emu.id_url, **kw)


def fill_new(form: ConnectionForm, app: Any, account: str, name: str = "acme", secret: str = "") -> None:
    form.name.value = name
    form.client.value = NEW_CLIENT
    form.client_name.value = "form-app"
    form.client_id.value = app.client_id
    form.client_secret.value = secret or app.client_secret
    form.account_id.value = account


def link_url(form: ConnectionForm) -> str:
    match = re.search(r'href="([^"]+)"', form.link.value)
    assert match, "the form shows no authorization link"
    return html.unescape(match.group(1))


def all_widgets(widget: Any) -> Iterator[Any]:
    yield widget
    for child in getattr(widget, "children", ()):
        yield from all_widgets(child)


def widget_state(form: ConnectionForm) -> str:
    return json.dumps([w.get_state() for w in all_widgets(form.widget)], default=str)


def user_name(emu) -> str:
    user = emu.default_user()
    return f"{user['first_name']} {user['last_name']}"


def assert_no_secret(form: ConnectionForm, secrets: List[str]) -> None:
    state = widget_state(form)
    for secret in secrets:
        assert secret not in state


def test_create_and_authorize_by_paste_then_no_secret_in_widget_state(emu, store, app):
    form = form_for(emu, store, remote=True)
    assert form.state == "not_authorized" and "not authorized" in form.status.value
    assert form.new_client_box.layout.display == ""  # no saved client: "New client…" is shown
    fill_new(form, app, str(emu.account_id))
    form.save.click()
    assert form.state == "waiting" and "waiting for Harvest" in form.status.value
    assert form.paste.layout.display == ""
    url = link_url(form)
    redirect = emu.approve(url)
    form.paste.value = redirect  # the user pastes where the browser ended up, then Enter
    assert form.state == "online", form.error.value
    assert html.escape(user_name(emu)) in form.status.value
    conn = store.connection("acme")
    assert conn.status == "authorized" and conn.has_tokens and conn.oauth_client == "form-app"
    assert store.oauth_client("form-app").client_id == app.client_id
    assert form.link.value == "" and form.paste.layout.display == "none"
    assert_no_secret(form, [app.client_secret, str(emu.account_id), query(redirect)["code"], query(url)["state"]])


def test_local_kernel_authorizes_through_the_loopback_receiver(emu, store, app, monkeypatch):
    browser = FakeBrowser(emu)
    monkeypatch.setattr(authorization, "open_browser_hook", browser)
    form = form_for(emu, store, remote=False, timeout=20)
    fill_new(form, app, str(emu.account_id))
    form.save.click()
    assert form.wait(20)
    browser.join()
    assert form.state == "online", form.error.value
    assert html.escape(user_name(emu)) in form.status.value
    assert store.connection("acme").has_tokens
    assert query(browser.urls[0])["redirect_uri"].startswith("http://127.0.0.1:")
    assert_no_secret(form, [app.client_secret, str(emu.account_id)])


def test_edit_fills_everything_but_the_secrets_and_requires_the_account_id_again(emu, store, app):
    store.create_oauth_client("app", client_id=app.client_id, client_secret=app.client_secret)
    store.create_connection("acme", oauth_client="app", account_id=str(emu.account_id), id_url=emu.id_url,
                            api_url=emu.api_url)
    form = form_for(emu, store, name="acme", remote=True)
    assert form.name.value == "acme" and form.client.value == "app"
    assert form.account_id.value == "" and form.client_secret.value == ""
    assert "never shown" in form.account_hint.value
    assert form.new_client_box.layout.display == "none"
    form.name.value = "acme-renamed"
    form.save.click()
    assert "Account ID: required" in form.error.value
    assert [c.name for c in store.connections()] == ["acme"]  # nothing saved
    form.account_id.value = str(emu.account_id)
    form.save.click()
    assert form.state == "waiting", form.error.value
    assert [c.name for c in store.connections()] == ["acme-renamed"]
    form.paste.value = emu.approve(link_url(form))
    assert form.state == "online", form.error.value
    assert_no_secret(form, [app.client_secret, str(emu.account_id)])


def test_picking_a_connection_in_the_list_edits_it(emu, store, app):
    store.create_oauth_client("app", client_id=app.client_id, client_secret=app.client_secret)
    store.create_connection("acme", oauth_client="app", account_id=str(emu.account_id))
    form = form_for(emu, store, remote=True)
    form.connection.value = "acme"
    assert form.name.value == "acme" and form.client.value == "app" and form.account_id.value == ""
    assert "never shown" in form.account_hint.value


def test_a_taken_name_shows_inline_and_saves_nothing(emu, store, app):
    store.create_oauth_client("app", client_id=app.client_id, client_secret=app.client_secret)
    store.create_connection("acme", oauth_client="app", account_id=str(emu.account_id))
    form = form_for(emu, store, remote=True)
    fill_new(form, app, str(emu.account_id))
    assert "exists already" in form.name_error.value  # as you type
    form.save.click()
    assert "Name:" in form.error.value and form.state == "not_authorized"
    assert [c.name for c in store.oauth_clients()] == ["app"]  # the new client was not created
    assert len(store.connections()) == 1


def test_missing_fields_are_listed_inline(emu, store):
    form = form_for(emu, store, remote=True)
    form.client.value = NEW_CLIENT
    form.save.click()
    for field in ("Name: required", "Client name: required", "Client ID: required", "Client secret: required",
                  "Account ID: required"):
        assert field in form.error.value
    assert store.oauth_clients() == [] and store.connections() == []


def test_a_refused_connection_leaves_no_client_behind(emu, store, app):
    form = connection_form(store, api_url="ftp://api.example.com/v2", id_url=emu.id_url, remote=True)
    fill_new(form, app, str(emu.account_id))
    form.save.click()
    assert form.error.value and form.state == "not_authorized"
    assert store.oauth_clients() == [] and store.connections() == []  # nothing half-saved


def test_a_wrong_client_secret_fails_at_the_token_exchange_inline_and_stores_no_token(emu, store, app, monkeypatch):
    monkeypatch.setattr(authorization, "open_browser_hook", FakeBrowser(emu))
    form = form_for(emu, store, remote=False, timeout=20)
    wrong = "wrong-" + app.client_secret[::-1]
    fill_new(form, app, str(emu.account_id), secret=wrong)
    form.save.click()
    assert form.wait(20)
    assert form.state == "failed" and form.error.value
    assert "not authorized" in form.status.value
    conn = store.connection("acme")
    assert not conn.has_tokens and conn.status == "not_authorized"
    assert wrong not in form.error.value
    assert_no_secret(form, [wrong, str(emu.account_id)])


def test_deny_at_the_consent_page_shows_inline_and_stores_no_token(emu, store, app, monkeypatch):
    monkeypatch.setattr(authorization, "open_browser_hook", FakeBrowser(emu, action=emu.deny))
    form = form_for(emu, store, remote=False, timeout=20)
    fill_new(form, app, str(emu.account_id))
    form.save.click()
    assert form.wait(20)
    assert form.state == "failed" and form.error.value
    assert not store.connection("acme").has_tokens


def test_cancel_ends_a_pending_loopback_authorization(emu, store, app, monkeypatch):
    monkeypatch.setattr(authorization, "open_browser_hook", FakeBrowser(emu, action=lambda url: None))
    form = form_for(emu, store, remote=False, timeout=60)
    fill_new(form, app, str(emu.account_id))
    form.save.click()
    assert form.state == "waiting"
    form.cancel.click()
    assert form.wait(10)  # long before the 60 s timeout
    assert form.state == "cancelled" and form.link.value == ""
    assert not store.connection("acme").has_tokens


def test_cancel_ends_a_pending_paste(emu, store, app):
    form = form_for(emu, store, remote=True)
    fill_new(form, app, str(emu.account_id))
    form.save.click()
    form.cancel.click()
    assert form.state == "cancelled" and form.paste.layout.display == "none" and form.link.value == ""


def test_test_connection_button_shows_offline_then_online(emu, store, app):
    store.create_oauth_client("app", client_id=app.client_id, client_secret=app.client_secret)
    conn = store.create_connection("acme", oauth_client="app", account_id=str(emu.account_id),
                                   id_url=emu.id_url, api_url=emu.api_url)
    form = form_for(emu, store, name="acme", remote=True)
    form.test_button.click()
    assert form.state in ("offline", "failed")
    conn.complete_authorization(emu.approve(conn.authorization_url()))
    form.test_button.click()
    assert form.state == "online" and html.escape(user_name(emu)) in form.status.value


def test_names_are_escaped_in_the_form(emu, store, app):
    evil = "<script>alert(1)</script>"
    store.create_oauth_client("app", client_id=app.client_id, client_secret=app.client_secret)
    store.create_connection("acme", oauth_client="app", account_id=str(emu.account_id))
    form = form_for(emu, store, remote=True)
    form.name.value = evil
    form.client.value = "app"
    form.account_id.value = str(emu.account_id)
    form.save.click()
    assert "<script>" not in form.error.value + form.name_error.value + form.status.value


def test_without_a_store_the_form_opens_the_default_one_and_close_closes_it(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    hc._core._write_key_file(str(home / "master.key"), hc.Key.generate())
    monkeypatch.setenv("HARVEST_CONNECT_HOME", str(home))
    form = connection_form(remote=True)
    assert not form.store.closed
    form.close()
    assert form.store.closed


def test_an_unknown_name_closes_the_store_the_form_opened(tmp_path, monkeypatch):
    key = hc.Key.generate()
    opened = []
    real_open = hc._core.Store.open

    def recording_open(*args: Any, **kwargs: Any) -> hc.Store:
        store = real_open(str(tmp_path / "store.db"), key=key)
        opened.append(store)
        return store

    monkeypatch.setattr(hc._core.Store, "open", staticmethod(recording_open))
    with pytest.raises(hc.NotFoundError):
        connection_form(name="nobody", remote=True)
    assert len(opened) == 1 and opened[0].closed


def test_a_personal_access_token_connection_is_not_edited_here(emu, store):
    store.create_token_connection("pat", access_token=emu.create_personal_access_token(),
                                  account_id=str(emu.account_id))
    with pytest.raises(hc.ValidationError, match="personal access token"):
        connection_form(store, "pat")


def test_without_ipywidgets_the_error_names_the_extra(store, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ImportError, match=r"harvest-connect\[notebook\]"):
        connection_form(store)


def test_hc_notebook_is_reachable_from_the_package(store):
    form = hc.notebook.connection_form(store, remote=True)
    assert isinstance(form, ConnectionForm)
    assert "application/vnd.jupyter.widget-view+json" in form._repr_mimebundle_()
