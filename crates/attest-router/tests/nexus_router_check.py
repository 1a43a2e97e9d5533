"""Cross-check attest-router against nexus-router 1.1.1 (run by tests/it/nexus_router.rs).

Usage: python nexus_router_check.py WORKDIR

1. Every WORKDIR/rust-*.json (a bundle exported by attest-router) is imported into a
   fresh nexus-router database with the stock import (digest verified, replay after
   import), replayed, and exported again.
2. Every request in WORKDIR/requests.json is run by nexus-router itself (the subprocess
   adapter gets the command given there) and exported to WORKDIR/py-<name>.json.

Prints one JSON object with the results to stdout.
"""

import json
import os
import sys
import tempfile

from nexus_router import tool
from nexus_router.dispatch import AdapterRegistry, NullAdapter, SubprocessAdapter
from nexus_router.export import export_run


def main(workdir):
    out = {"imports": {}, "runs": {}}
    for name in sorted(os.listdir(workdir)):
        if not (name.startswith("rust-") and name.endswith(".json")):
            continue
        with open(os.path.join(workdir, name), encoding="utf-8") as f:
            bundle = json.load(f)
        db = tempfile.mktemp(suffix=".db", dir=workdir)
        res = tool.import_bundle({"db_path": db, "bundle": bundle})
        entry = {"status": res.get("status"), "replay_ok": res.get("replay_ok"),
                 "violations": [v["code"] for v in res.get("violations", [])],
                 "error": res.get("error")}
        if res.get("status") == "ok":
            run_id = res["imported_run_id"]
            rep = tool.replay({"db_path": db, "run_id": run_id})
            entry["replay"] = rep["ok"]
            again = export_run(db_path=db, run_id=run_id)["artifact"]
            entry["reexport_digest"] = again["digests"]["sha256"]
            entry["original_digest"] = bundle["digests"]["sha256"]
            entry["events_inserted"] = res["events_inserted"]
        out["imports"][name] = entry

    req_path = os.path.join(workdir, "requests.json")
    if os.path.exists(req_path):
        with open(req_path, encoding="utf-8") as f:
            requests = json.load(f)
        for name, spec in sorted(requests.items()):
            reg = AdapterRegistry(default_adapter_id="null")
            reg.register(NullAdapter())
            if spec.get("base_cmd"):
                reg.register(SubprocessAdapter(spec["base_cmd"], adapter_id=spec["adapter_id"],
                                               timeout_s=spec.get("timeout_s", 10.0)))
            db = os.path.join(workdir, "py-%s.db" % name)
            try:
                resp = tool.run(spec["request"], db_path=db, adapters=reg)
                run_id = resp["run"]["run_id"]
                err = None
            except Exception as ex:  # bug errors propagate in nexus-router
                import sqlite3
                run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
                resp, err = None, repr(ex)
            bundle = export_run(db_path=db, run_id=run_id)["artifact"]
            with open(os.path.join(workdir, "py-%s.json" % name), "w", encoding="utf-8") as f:
                json.dump(bundle, f)
            out["runs"][name] = {"run_id": run_id, "response": resp, "error": err}
    json.dump(out, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
