"""Run by scripts/wheel-check.sh inside the minimal Debian: the installed wheel opens a new
store, creates an OAuth client and a connection, and reads them back after reopening it, so
the statically linked SQLite and OpenSSL (AES-256-GCM sealing) are exercised there.
tests/python/test_package.py runs it against the package installed in .venv too, so that it
follows the API between the (slow, root-only) runs of make wheel-check."""
import tempfile
from pathlib import Path

import harvest_connect as hc

with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "store.db"
    key = hc.Key.generate()
    with hc.Store.open(path, key=key) as store:
        store.create_oauth_client("app", client_id="wheel-check-client", client_secret="wheel-check-secret")
        store.create_connection("acme", oauth_client="app", account_id="123456",
                                user_agent="wheel-check (ops@example.com)")
    with hc.Store.open(path, key=key) as store:
        conn = store.connection("acme")
        assert conn.name == "acme" and conn.status == "not_authorized" and conn.oauth_client == "app", conn
        assert conn.user_agent == "wheel-check (ops@example.com)" and conn.has_account_id
        try:
            conn.account_id  # write-only: never read back
        except AttributeError as error:
            assert "123456" not in str(error), error
        else:
            raise AssertionError("the account ID was read back")
        assert [c.name for c in store.connections()] == ["acme"]
        assert store.oauth_client("app").client_id == "wheel-check-client"
        problems = store.verify()
        assert problems == [], problems
    raw = b"".join(f.read_bytes() for f in Path(tmp).iterdir())   # the database and any journal
    assert b"wheel-check-secret" not in raw and b"123456" not in raw, "a secret is in the store file unsealed"
    print(f"store round trip ok: {conn.name} ({conn.status}), harvest-connect {hc.__version__}")
