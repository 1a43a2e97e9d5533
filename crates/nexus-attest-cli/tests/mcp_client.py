"""Drive `nexus-attest mcp` with the official MCP Python SDK (not ours).

    python mcp_client.py path/to/nexus-attest [WORK_DIR]

Over stdio, as an MCP client application would: initialize, tools/list (every tool,
schemas checked against the JSON Schema 2020-12 metaschema), then request -> approve x2
-> execute -> export_audit_package (router run embedded) -> verify_audit_package, plus
refused calls (a tool error with the original's code; an unknown tool is a protocol
error). The SDK itself validates every successful result against the tool's output
schema. With SDK 2.x the high-level `mcp.Client` is also used in its default `auto`
mode (it probes `server/discover`, which this server does not offer, then falls back to
the initialize handshake). Exits 0 when everything holds.
"""

import asyncio
import json
import os
import sys
import tempfile

from jsonschema import Draft202012Validator
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

TOOLS = [
    "nexus-attest.request",
    "nexus-attest.approve",
    "nexus-attest.revoke_approval",
    "nexus-attest.execute",
    "nexus-attest.status",
    "nexus-attest.inspect",
    "nexus-attest.list_requests",
    "nexus-attest.template.create",
    "nexus-attest.template.get",
    "nexus-attest.template.list",
    "nexus-attest.export_bundle",
    "nexus-attest.import_bundle",
    "nexus-attest.export_audit_package",
    "nexus-attest.verify_audit_package",
    "nexus-attest.queue_intent",
    "nexus-attest.queue_status",
    "nexus-attest.narrative",
    "nexus-attest.attest_sign",
]


def attr(obj, *names):
    """The first attribute that exists (SDK 1.x uses camelCase, 2.x snake_case)."""
    for name in names:
        if hasattr(obj, name):
            return getattr(obj, name)
    raise AttributeError(f"none of {names} on {type(obj).__name__}")


def structured(result):
    """The result object: structuredContent (2025-06-18 on), else the JSON text item."""
    data = getattr(result, "structured_content", getattr(result, "structuredContent", None))
    if data is None:
        data = json.loads(result.content[-1].text)
    return data


def is_error(result):
    return bool(attr(result, "is_error", "isError"))


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"  ok: {what}")


async def call_ok(session, tool, args):
    result = await session.call_tool(tool, args)
    data = structured(result)
    check(not is_error(result) and data and data.get("success") is True, f"{tool} succeeded")
    return data


async def flow(session):
    init = await session.initialize()
    version = attr(init, "protocol_version", "protocolVersion")
    info = attr(init, "server_info", "serverInfo")
    check(info.name == "nexus-attest", f"initialize: server {info.name} {info.version}, protocol {version}")

    listed = await session.list_tools()
    names = [t.name for t in listed.tools]
    check(names == TOOLS, "tools/list shows the eighteen tools")
    for t in listed.tools:
        schemas = [attr(t, "input_schema", "inputSchema")]
        if hasattr(t, "output_schema") or hasattr(t, "outputSchema"):
            schemas.append(attr(t, "output_schema", "outputSchema"))
        for schema in schemas:
            if schema is None:  # protocol versions before 2025-06-18 have no output schemas
                continue
            Draft202012Validator.check_schema(schema)
            assert schema["type"] == "object", t.name
    check(True, "every input and output schema is a valid JSON Schema 2020-12 object schema")

    alice = {"type": "human", "id": "alice@example.com"}
    bob = {"type": "human", "id": "bob@example.com"}
    req = await call_ok(
        session,
        "nexus-attest.request",
        {"goal": "Rotate the payments API keys", "actor": alice, "mode": "dry_run", "min_approvals": 2},
    )
    rid = req["request_id"]
    for who in (alice, bob):
        a = await call_ok(session, "nexus-attest.approve", {"request_id": rid, "actor": who, "comment": "reviewed"})
    check(a["is_approved"] is True and a["current_approvals"] == 2, "two approvals meet the policy")

    e = await call_ok(
        session,
        "nexus-attest.execute",
        {"request_id": rid, "adapter_id": "subprocess:mcpt:key-rotation", "actor": {"type": "system", "id": "scheduler"}},
    )
    check(e["mode"] == "dry_run" and e["run_id"], f"executed through the dry-run router: run {e['run_id']}")

    p = await call_ok(session, "nexus-attest.export_audit_package", {"decision_id": rid, "embed_router_bundle": True})
    package = p["package"]
    check(package["router"]["mode"] == "embedded", f"audit package exported with the run embedded: {p['digest']}")

    v = await call_ok(session, "nexus-attest.verify_audit_package", {"package": package, "expect_binding": p["digest"]})
    failed = [c["name"] for c in v["checks"] if not c["ok"]]
    check(v["ok"] is True and v["reference_ok"] is True and not failed, f"verified: {len(v['checks'])} checks passed")

    st = await call_ok(session, "nexus-attest.status", {"request_id": rid})
    check(st["state"] == "completed", "status: completed")

    refused = await session.call_tool("nexus-attest.approve", {"request_id": rid, "actor": "alice"})
    err = structured(refused)["error"]
    check(is_error(refused) and err.startswith("INVALID_ARGUMENT: "), f"wrong argument type refused: {err}")
    again = await session.call_tool(
        "nexus-attest.execute",
        {"request_id": rid, "adapter_id": "subprocess:mcpt:key-rotation", "actor": {"type": "system", "id": "scheduler"}},
    )
    err = structured(again)["error"]
    check(is_error(again) and err.startswith("ALREADY_EXECUTED: "), f"second execution refused: {err}")
    try:
        await session.call_tool("nexus-attest.no_such_tool", {})
    except Exception as exc:  # McpError (1.x) / MCPError (2.x)
        check("Unknown tool" in str(exc), f"unknown tool is a protocol error: {exc}")
    else:
        raise AssertionError("unknown tool accepted")
    listed = await call_ok(session, "nexus-attest.list_requests", {})
    check(listed["count"] == 1, "refused calls wrote nothing")
    return package


async def high_level_client(params):
    import mcp

    if not hasattr(mcp, "Client"):
        print("  (SDK 1.x: no high-level Client; skipped)")
        return
    async with mcp.Client(params) as client:
        tools = await client.list_tools()
        check(len(tools.tools) == len(TOOLS), "mcp.Client (auto mode) fell back to the handshake and lists the tools")
        result = await client.call_tool("nexus-attest.list_requests", {})
        check(structured(result)["count"] == 1, "mcp.Client sees the same database")


async def main():
    binary = os.path.abspath(sys.argv[1])
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="nexus-attest-mcp-client-")
    os.makedirs(work, exist_ok=True)
    db = os.path.join(work, "mcp-client.db")
    if os.path.exists(db):
        os.remove(db)
    params = StdioServerParameters(command=binary, args=["mcp", "--db", db])
    print(f"official MCP client -> {binary} mcp --db {db}")
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            package = await flow(session)
    with open(os.path.join(work, "mcp-audit-package.json"), "w") as f:
        json.dump(package, f, indent=2)
    await high_level_client(params)
    print("MCP client flow: all checks passed")


if __name__ == "__main__":
    asyncio.run(main())
