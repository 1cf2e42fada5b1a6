"""Drives guard's MCP server with the official MCP Python SDK.

Usage: python3 tests/py/mcp_client.py SERVER_BINARY [--http [TOKEN]]
Over stdio by default; with --http the server is started with --http, its
first output line is its URL, and the client connects over streamable HTTP
(sending `Authorization: Bearer TOKEN` when a token is given).
Prints one JSON object: the tools listed (with annotations) and the result
of each call (isError and text).
"""

import asyncio
import json
import sys

import subprocess

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client


async def exercise(read, write):
    async with ClientSession(read, write) as session:
        await session.initialize()
        listed = await session.list_tools()
        tools = {
            # The wire names (readOnlyHint, ...), whatever the SDK calls the fields.
            tool.name: (
                tool.annotations.model_dump(by_alias=True, exclude_none=True)
                if tool.annotations
                else {}
            )
            for tool in listed.tools
        }
        calls = {}
        for name, arguments in [
            ("weather", {"city": "Oslo"}),
            ("read_file", {"path": "../../etc/passwd"}),
            ("delete_all", {}),
            ("admin_reset", {}),
        ]:
            result = await session.call_tool(name, arguments)
            error = getattr(result, "is_error", None) or getattr(result, "isError", None)
            calls[name] = {
                "is_error": bool(error),
                "text": "".join(c.text for c in result.content if getattr(c, "text", None)),
            }
        return {"tools": tools, "calls": calls}


async def main(binary, http, token):
    if not http:
        params = StdioServerParameters(command=binary, args=[])
        async with stdio_client(params) as (read, write):
            report = await exercise(read, write)
    else:
        server = subprocess.Popen([binary, "--http"], stdout=subprocess.PIPE, text=True)
        try:
            url = server.stdout.readline().strip()
            headers = {"Authorization": f"Bearer {token}"} if token else None
            async with create_mcp_http_client(headers=headers) as client:
                async with streamable_http_client(url, http_client=client) as streams:
                    report = await exercise(streams[0], streams[1])
        finally:
            server.kill()
    print(json.dumps(report, sort_keys=True))


if __name__ == "__main__":
    http = "--http" in sys.argv
    token = sys.argv[sys.argv.index("--http") + 1] if http and len(sys.argv) > sys.argv.index("--http") + 1 else None
    asyncio.run(main(sys.argv[1], http, token))
