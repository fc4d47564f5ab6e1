"""Runs the Harvest emulator in its own process for the benchmarks, so that the client under
test and the server never share a GIL or a process's memory figures.

    python emulator_proc.py '{"entries": 200000, "rate_limits": false}'

prints one JSON line (api_url, id_url, ca_file, account_id, token), then answers JSON
commands read from stdin, one a line: {"cmd": "set_faults", ...}, {"cmd": "clear_faults"},
{"cmd": "counters"}, {"cmd": "clear_request_log"}, {"cmd": "request_log_len"},
{"cmd": "expire_tokens"}, {"cmd": "register_app", "redirect_url": ...}, {"cmd": "approve", "url": ...},
{"cmd": "stop"}. Each answer is one JSON line.
"""

from __future__ import annotations

import json
import sys

from harvest_connect.testing import HarvestEmulator


def main() -> int:
    options = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    with HarvestEmulator(**options) as harvest:
        info = {
            "api_url": harvest.api_url,
            "id_url": harvest.id_url,
            "ca_file": harvest.ca_file,
            "account_id": harvest.account_id,
            "token": harvest.create_personal_access_token(),
            "entries": harvest.time_entry_count(),
        }
        print(json.dumps(info), flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            cmd = command.pop("cmd")
            answer: object = None
            if cmd == "stop":
                break
            if cmd == "set_faults":
                harvest.set_faults(**command)
            elif cmd == "clear_faults":
                harvest.clear_faults()
            elif cmd == "counters":
                answer = harvest.counters()
            elif cmd == "clear_request_log":
                harvest.clear_request_log()
            elif cmd == "expire_tokens":
                harvest.expire_tokens()
            elif cmd == "register_app":
                app = harvest.register_app(command.get("name", "bench app"), command["redirect_url"])
                answer = {"client_id": app.client_id, "client_secret": app.client_secret,
                          "redirect_url": app.redirect_url}
            elif cmd == "approve":
                answer = harvest.approve(command["url"])
            elif cmd == "request_log_statuses":
                answer = [int(r.get("status", 0)) for r in harvest.request_log()]
            else:
                answer = {"error": f"unknown command {cmd!r}"}
            print(json.dumps({"ok": True, "answer": answer}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
